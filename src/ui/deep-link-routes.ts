import { Router } from 'express';
import { PATHS } from '../lti/constants.js';
import { requireDeepLinking } from '../lti/deep-linking.js';
import type { LtiDeps } from '../lti/deps.js';
import { wrap } from '../lti/launch.js';
import { LtiPlatform } from '../lti/models.js';
import { translator } from '../i18n/catalogs.js';
import { pickLanguage } from '../web/language.js';
import { sendScreen } from './layout.js';
import { deepLinkPicker } from './views/deep-link-picker.js';

/**
 * The deep-linking picker: after an LtiDeepLinkingRequest launch the instructor picks a published template of
 * the institution, in the LMS's frame; the choice posts to the LTI deep-linking route (src/lti/deep-linking.ts),
 * which answers the platform.
 */
export function deepLinkPickerRouter(deps: LtiDeps): Router {
  const router = Router();

  router.get(
    PATHS.deepLink,
    wrap(deps, async (req, res) => {
      const session = requireDeepLinking(req.ltiSession);
      const platform = await LtiPlatform.findById(session.platformId);
      const templates = await deps.templates.listPublishedTemplates({
        institutionId: session.institutionId,
      });
      const lang = pickLanguage(req, res, session.locale);
      const t = translator(lang);
      sendScreen(req, res, {
        lang,
        t,
        title: t('dlTitle'),
        body: deepLinkPicker(
          templates,
          {
            action: PATHS.deepLink,
            csrf: session.csrfToken,
            acceptLineItem: Boolean(session.deepLinking?.acceptLineItem),
          },
          t,
        ),
        frameAncestors: platform ? [platform.issuer, platform.authLoginUrl] : [],
      });
    }),
  );

  return router;
}
