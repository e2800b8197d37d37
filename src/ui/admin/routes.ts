import { Router, json, urlencoded } from 'express';
import type { Config } from '../../config/env.js';
import { loadSessions } from '../../web/sessions.js';
import type { Queues } from '../../queue/queues.js';
import { approvalPages } from './approval-pages.js';
import { consoleKit, loadConsoleIdentity, requireConsole } from './console.js';
import { institutionPages } from './institution-pages.js';
import { issuerPages } from './issuer-pages.js';
import { operationsPages } from './operations-pages.js';
import { platformPages } from './platform-pages.js';
import { sealPages } from './seal-pages.js';
import { badgeUpload, logoUpload, sealUpload } from './uploads.js';
import { logoutPage, sessionPages } from './session-pages.js';
import { templatePages } from './template-pages.js';

/**
 * The console. Operators (accounts without an institution, from the CLI) run the installation: institutions,
 * queues, the whole audit log. Institution administrators (accounts of one institution, or LMS administrators
 * launched from a platform of an institution that allows it) run that institution alone: its platforms and
 * registration links, issuer keys, templates, manual-award approvals, settings and administrators. Each page
 * module guards itself by role and filters every query on the identity's institution; every form carries
 * the session's CSRF token.
 */
export function adminScreensRouter(config: Config, queues: Queues): Router {
  const router = Router();
  const kit = consoleKit(config, queues);
  // Bodies are parsed first: the CSRF check reads the form's token.
  router.use('/admin', urlencoded({ extended: false, limit: '512kb' }), json({ limit: '512kb' }));
  router.post('/admin/seal/import', sealUpload);
  router.post('/admin/templates/:key/:version/badge-image', badgeUpload);
  router.post('/admin/institution/branding', logoUpload);
  router.use('/admin', loadSessions, loadConsoleIdentity);
  router.use(sessionPages(kit));
  router.use('/admin', requireConsole);
  router.get('/admin', (req, res) => {
    res.redirect(303, req.admin!.kind === 'operator' ? '/admin/institutions' : '/admin/platforms');
  });
  router.use(
    logoutPage(),
    institutionPages(kit),
    platformPages(kit),
    issuerPages(kit),
    sealPages(kit),
    templatePages(kit),
    approvalPages(kit),
    operationsPages(kit),
  );
  return router;
}
