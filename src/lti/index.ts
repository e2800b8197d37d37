import { Router } from 'express';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { configureOutbound } from '../net/outbound.js';
import { parseEncryptionKey } from '../security/encryption.js';
import { platformAdminRouter } from './admin-routes.js';
import { canvasDeveloperKeyConfig } from './canvas-config.js';
import { PATHS } from './constants.js';
import { courseRouter } from './course-routes.js';
import { deepLinkingRouter } from './deep-linking.js';
import type { LtiDeps } from './deps.js';
import { dynamicRegistrationRouter } from './dynamic-registration.js';
import { launchRouter } from './launch.js';
import { PlatformJwks, type PlatformJwksOptions } from './platform-jwks.js';
import { configureServiceClients } from './service-client.js';
import { ServiceTokens } from './service-token.js';
import { loadSessions } from '../web/sessions.js';
import { emptyTemplateCatalog, type TemplateCatalog } from './template-catalog.js';
import { INSTALLATION_KEYS, ToolKeys } from './tool-keys.js';
import { findInstitution } from '../institutions/institutions.js';
import { HttpError } from '../web/errors.js';

export interface LtiOptions {
  config: Config;
  logger: Logger;
  templates?: TemplateCatalog;
  jwks?: PlatformJwksOptions;
  onLaunch?: LtiDeps['onLaunch'];
}

/** Builds the LTI services of one process. */
export function createLti({ config, logger, templates, jwks, onLaunch }: LtiOptions): LtiDeps {
  if (!config.KEY_ENCRYPTION_KEY)
    throw new Error('KEY_ENCRYPTION_KEY is required for LTI (tool keys are stored encrypted)');
  const toolKeys = new ToolKeys(parseEncryptionKey(config.KEY_ENCRYPTION_KEY));
  configureServiceClients({
    requestsPerSecond: config.LMS_REQUESTS_PER_SECOND,
    timeoutMs: config.LMS_TIMEOUT_MS,
  });
  // Which hosts the LMS requests of this process may reach on private addresses (src/net/outbound.ts); the
  // callers only say "could not be reached", so the log is where an operator reads why.
  configureOutbound({
    allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS,
    ...(config.OUTBOUND_CA_FILE ? { extraCa: config.OUTBOUND_CA_FILE } : {}),
    onFailure: (failure) => logger.warn({ component: 'outbound', ...failure }, 'outbound request failed'),
  });
  return {
    config,
    logger: logger.child({ component: 'lti' }),
    publicUrl: config.PUBLIC_URL.replace(/\/$/, ''),
    toolKeys,
    platformJwks: new PlatformJwks(jwks),
    serviceTokens: new ServiceTokens(toolKeys),
    templates: templates ?? emptyTemplateCatalog,
    cookies: { insecure: config.LTI_INSECURE_COOKIES },
    sessionTtlMs: config.LTI_SESSION_TTL_MINUTES * 60_000,
    onLaunch,
  };
}

/**
 * Every LTI route: JWKS, Canvas configuration, registration, login/launch, deep linking, course APIs, admin
 * API. `courseRouters` (the screens and the issuance API, given by the composition root) run after the session
 * is loaded, like the course APIs.
 */
export function ltiRouter(deps: LtiDeps, ...courseRouters: Router[]): Router {
  const router = Router();
  // The installation's keys, which platforms registered before institutions trust.
  router.get(PATHS.jwks, async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(await deps.toolKeys.jwks(INSTALLATION_KEYS));
  });
  // An institution's keys: the JWKS its platforms registered.
  router.get(`${PATHS.jwks}/:institutionId`, async (req, res) => {
    const institution = await findInstitution(String(req.params.institutionId));
    if (!institution) throw new HttpError(404, 'not_found', 'No such institution');
    res.set('Cache-Control', 'public, max-age=300').json(await deps.toolKeys.jwks(institution._id));
  });
  router.get(PATHS.canvasConfig, async (req, res) => {
    const id = typeof req.query.institution === 'string' ? req.query.institution : '';
    const institution = id ? await findInstitution(id) : undefined;
    if (!institution)
      throw new HttpError(
        400,
        'invalid_input',
        "institution: add ?institution=<your institution's id> (the console shows the full address)",
      );
    res.json(canvasDeveloperKeyConfig(deps.publicUrl, institution._id));
  });
  router.use(platformAdminRouter(deps.config.ADMIN_API_TOKEN));
  router.use(dynamicRegistrationRouter(deps));
  router.use(launchRouter(deps));
  router.use('/lti', loadSessions);
  router.use(deepLinkingRouter(deps));
  router.use(courseRouter(deps));
  for (const extra of courseRouters) router.use(extra);
  return router;
}

/** Without a key the tool cannot keep its private keys: LTI answers 503 rather than the app not starting. */
export function ltiDisabledRouter(logger: Logger): Router {
  logger.warn({ component: 'lti' }, 'KEY_ENCRYPTION_KEY is not set: LTI endpoints are disabled');
  const off = Router();
  off.use(['/lti', '/api/admin/lti'], (_req, res) => {
    res
      .status(503)
      .json({ error: { code: 'lti_not_configured', message: 'Set KEY_ENCRYPTION_KEY to enable LTI' } });
  });
  return off;
}

export { registerPlatform, updatePlatform } from './platforms.js';
export { AgsClient } from './ags.js';
export { NrpsClient } from './nrps.js';
export { ServiceClient } from './service-client.js';
export type { TemplateCatalog, TemplateSummary } from './template-catalog.js';
