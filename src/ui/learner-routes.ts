import { Router, type Request, type Response } from 'express';
import type { Config } from '../config/env.js';
import { learnerRef, parseLearnerRef } from '../issuance/credential-ops.js';
import {
  LEARNER_LINK_PATH,
  LEARNER_WALLET_OFFER_PATH,
  learnerLinkKey,
  readLearnerLinkToken,
} from '../issuance/links.js';
import { regradeStatuses } from '../issuance/regrade-status.js';
import { PATHS } from '../lti/constants.js';
import { LtiPlatform } from '../lti/models.js';
import { HttpError } from '../web/errors.js';
import { credentialsOf, type CredentialView } from './credential-view.js';
import { html } from '../render/html.js';
import { translator } from '../i18n/catalogs.js';
import { pickLanguage } from '../web/language.js';
import { sendScreen } from './layout.js';
import { learnerOf } from './learner-identity.js';
import { waitingBanner, waitingRequest } from './wallet-consent-routes.js';
import { missingWords, regradeState } from './reasons.js';
import { credentialCard } from './views/credential-card.js';
import { learnerProgress } from './views/learner-progress.js';
import { progressInCourse, progressOnPlatform } from './learner-progress.js';
import QRCode from 'qrcode';
import { findCredential, storedStatus } from '../credentials/credential-store.js';
import { recordAudit } from '../db/models/audit-event.js';
import { EU_MICROCREDENTIAL_CONFIGURATION } from '../wallets/eu-microcredential.js';
import { createOffer, offerCodeKey } from '../wallets/offers.js';
import { OPEN_BADGE_CONFIGURATION } from '../wallets/open-badge-offer.js';
import { createExchange, exchangeUrl, interactionUrl } from '../wallets/vc-api-exchange.js';
import { walletOfferBody } from './views/wallet-offer.js';

/** The Learner Credential Wallet's app link: it opens the wallet on a phone with a VC API request. */
const LCW_REQUEST_URL = 'https://lcw.app/request';

/** The learner's page that offers one credential to their wallet: in the launch session, or by the e-mail link. */
export const WALLET_OFFER_PATHS = {
  session: '/lti/me/wallet-offer',
  link: LEARNER_WALLET_OFFER_PATH,
} as const;

/**
 * "My credentials": after a learner launch (the LMS session, framed by that LMS), and standalone through the
 * signed, expiring link of the e-mail. Both list every credential of the learner on that platform, across
 * courses.
 */
export function learnerScreensRouter(config: Config, kek: Buffer): Router {
  const router = Router();
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  const linkKey = learnerLinkKey(kek);
  const codeKey = offerCodeKey(kek);
  const offerHref = (id: string, token?: string) => (kind: 'eu' | 'badge') =>
    token
      ? `${WALLET_OFFER_PATHS.link}?${new URLSearchParams({ credential: id, kind, t: token })}`
      : `${WALLET_OFFER_PATHS.session}?${new URLSearchParams({ credential: id, kind })}`;

  const render = async (
    req: Request,
    res: Response,
    ref: string,
    opts: {
      locale?: string;
      name?: string;
      frame?: string[];
      keep?: Record<string, string>;
      /** The launch's course: its credentials on offer; without it, every course that has read the learner. */
      courseId?: string;
    },
  ) => {
    const lang = pickLanguage(req, res, opts.locale);
    const t = translator(lang);
    const { platformId, learnerId } = parseLearnerRef(ref);
    const [views, offers] = await Promise.all([
      credentialsOf(ref, lang),
      opts.courseId
        ? progressInCourse(opts.courseId, learnerId, lang)
        : progressOnPlatform(platformId, learnerId, lang),
    ]);
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
      ${waitingBanner(await waitingRequest(req), t, opts.keep?.t)}
      ${
        views.length
          ? html`<div class="cards">
              ${views.map((v) => credentialCard(v, t, lang, publicUrl, why(v), offerHref(v.id, opts.keep?.t)))}
            </div>`
          : html`<p class="empty">${t('noCredentialsYet')}</p>`
      }
      ${learnerProgress(offers, t, lang)}`,
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
      ...(session.courseId ? { courseId: String(session.courseId) } : {}),
      locale: session.locale,
      name: session.name || session.userId,
      frame: platform ? [platform.issuer, platform.authLoginUrl] : [],
    });
  });

  /**
   * An offer of one of the learner's credentials to their wallet (OpenID4VCI pre-authorized code): made afresh on
   * each visit (single use, ten minutes), for the learner of the launch session or of the signed e-mail link only.
   */
  router.get([WALLET_OFFER_PATHS.session, WALLET_OFFER_PATHS.link], async (req, res) => {
    const byLink = req.path === WALLET_OFFER_PATHS.link;
    const token = byLink && typeof req.query.t === 'string' ? req.query.t : undefined;
    // The e-mail link's page needs its token; the launch page its session.
    const learner = byLink
      ? token
        ? learnerOf(req, linkKey, token)
        : undefined
      : learnerOf(req, linkKey, undefined);
    if (!learner)
      throw new HttpError(
        401,
        'no_session',
        'Open your credentials page again, from your course or your e-mail.',
      );
    const ref = learner.ref;
    const id = typeof req.query.credential === 'string' ? req.query.credential : '';
    const stored = /^[A-Za-z0-9_-]{1,100}$/.test(id) ? await findCredential(id) : undefined;
    // Another learner's credential is "no such credential", exactly like one that does not exist.
    if (!stored || stored.learnerRef !== ref) throw new HttpError(404, 'not_found', 'No such credential');
    const status = await storedStatus(stored.status);
    if (status.revoked || status.suspended)
      throw new HttpError(
        409,
        'not_offerable',
        'This credential is revoked or suspended: it cannot go to a wallet.',
      );
    const lang = pickLanguage(req, res, learner.locale);
    // The EU micro-credential (SD-JWT VC, EU Digital Identity wallets), or the Open Badge (Open Badges wallets).
    const configurationId =
      req.query.kind === 'eu' ? EU_MICROCREDENTIAL_CONFIGURATION : OPEN_BADGE_CONFIGURATION;
    const offer = await createOffer(codeKey, {
      credentialId: stored._id,
      issuerId: stored.issuerId,
      learnerRef: ref,
      configurationId,
      txCode: true,
      locale: lang,
    });
    // Who offered what to a wallet, never the codes.
    await recordAudit(
      {
        actor: { kind: 'learner', id: ref },
        action: 'wallet.offer',
        target: { kind: 'credential', id: stored._id },
        details: { configuration: configurationId },
      },
      config.AUDIT_RETENTION_DAYS,
    );
    const offerUri = `openid-credential-offer://?${new URLSearchParams({
      credential_offer_uri: `${publicUrl}/wallet/offers/${offer.offerId}`,
    })}`;
    const qr = (text: string) => QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 1, width: 280 });
    // The Open Badge also goes to VC API wallets (the Learner Credential Wallet): an exchange beside the offer.
    let exchange: { qr: string; appLink: string } | undefined;
    if (configurationId === OPEN_BADGE_CONFIGURATION) {
      const made = await createExchange({
        credentialId: stored._id,
        issuerId: stored.issuerId,
        learnerRef: ref,
      });
      const request = {
        credentialRequestOrigin: publicUrl,
        protocols: { vcapi: exchangeUrl(publicUrl, made.exchangeId) },
      };
      exchange = {
        qr: await qr(interactionUrl(publicUrl, made.exchangeId)),
        appLink: `${LCW_REQUEST_URL}?${new URLSearchParams({ request: JSON.stringify(request) })}`,
      };
    }
    const t = translator(lang);
    res.setHeader('Cache-Control', 'no-store');
    sendScreen(req, res, {
      lang,
      t,
      title: t(configurationId === OPEN_BADGE_CONFIGURATION ? 'wallet.offerTitle' : 'wallet.offerTitleEu'),
      body: walletOfferBody(
        {
          kind: configurationId === OPEN_BADGE_CONFIGURATION ? 'badge' : 'eu',
          offerUri,
          offerQr: await qr(offerUri),
          ...(offer.txCode ? { txCode: offer.txCode } : {}),
          ...(exchange ? { exchange } : {}),
          back: token ? `${LEARNER_LINK_PATH}?t=${encodeURIComponent(token)}` : PATHS.learnerCredentials,
        },
        t,
      ),
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
