import { Router, type Request, type Response } from 'express';
import type { Config } from '../config/env.js';
import { learnerRef } from '../issuance/credential-ops.js';
import { LEARNER_LINK_PATH, learnerLinkKey, readLearnerLinkToken } from '../issuance/links.js';
import { regradeStatuses } from '../issuance/regrade-status.js';
import { PATHS } from '../lti/constants.js';
import { LtiPlatform } from '../lti/models.js';
import { HttpError } from '../web/errors.js';
import { credentialsOf, type CredentialView } from './credential-view.js';
import { html } from '../render/html.js';
import { translator } from '../i18n/catalogs.js';
import { pickLanguage } from '../web/language.js';
import { sendScreen } from './layout.js';
import { missingWords, regradeState } from './reasons.js';
import { credentialCard } from './views/credential-card.js';

/**
 * "My credentials": after a learner launch (the LMS session, framed by that LMS), and standalone through the
 * signed, expiring link of the e-mail. Both list every credential of the learner on that platform, across
 * courses.
 */
export function learnerScreensRouter(config: Config, kek: Buffer): Router {
  const router = Router();
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  const linkKey = learnerLinkKey(kek);

  const render = async (
    req: Request,
    res: Response,
    ref: string,
    opts: { locale?: string; name?: string; frame?: string[]; keep?: Record<string, string> },
  ) => {
    const lang = pickLanguage(req, res, opts.locale);
    const t = translator(lang);
    const views = await credentialsOf(ref, lang);
    // Why a regrade suspended or revoked one: the learner's own grades, so only on the learner's own page.
    const regraded = await regradeStatuses(
      views.filter((v) => v.state === 'suspended' || v.state === 'revoked').map((v) => v.id),
    );
    const why = (view: CredentialView) => {
      const r = regraded.get(view.id);
      if (!r) return undefined;
      const state = regradeState(r);
      // Only while the credential's status lists say the same as the request.
      return state === view.state
        ? t(`regradeForLearner.${state}`, { missing: missingWords(r, t, lang) })
        : undefined;
    };
    sendScreen(req, res, {
      lang,
      t,
      title: t('myCredentials'),
      frameAncestors: opts.frame,
      keep: opts.keep,
      scripts: ['common.js'],
      body: html` ${opts.name ? html`<p>${t('signedInAs', { name: opts.name })}</p>` : ''}
      ${
        views.length
          ? html`<div class="cards">${views.map((v) => credentialCard(v, t, lang, publicUrl, why(v)))}</div>`
          : html`<p class="empty">${t('noCredentialsYet')}</p>`
      }`,
    });
  };

  router.get(PATHS.learnerCredentials, async (req, res) => {
    const session = req.ltiSession;
    if (!session)
      throw new HttpError(
        401,
        'no_session',
        'Your session has ended; launch the tool again from your course.',
      );
    const platform = await LtiPlatform.findById(session.platformId, { issuer: 1, authLoginUrl: 1 }).lean();
    await render(req, res, learnerRef(String(session.platformId), session.userId), {
      locale: session.locale,
      name: session.name || session.userId,
      frame: platform ? [platform.issuer, platform.authLoginUrl] : [],
    });
  });

  router.get(LEARNER_LINK_PATH, async (req, res) => {
    const token = typeof req.query.t === 'string' ? req.query.t : '';
    const read = readLearnerLinkToken(linkKey, token);
    if ('error' in read) {
      const lang = pickLanguage(req, res);
      const t = translator(lang);
      sendScreen(req, res, {
        lang,
        t,
        status: read.error === 'expired' ? 410 : 403,
        title: t('myCredentials'),
        body: html`<p class="warning" role="alert">
          ${t(read.error === 'expired' ? 'linkExpired' : 'linkInvalid')}
        </p>`,
      });
      return;
    }
    await render(req, res, read.learnerRef, { keep: { t: token } });
  });

  return router;
}
