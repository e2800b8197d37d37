import { Router, urlencoded, type Request, type Response } from 'express';
import type { Config } from '../config/env.js';
import { findCredentials } from '../credentials/credential-store.js';
import { recordAudit } from '../db/models/audit-event.js';
import { translator, type Translate } from '../i18n/catalogs.js';
import { learnerLinkKey } from '../issuance/links.js';
import { html, type Html } from '../render/html.js';
import { answerRequest, pendingRequest, type PendingRequest } from '../wallets/authorization.js';
import { EU_MICROCREDENTIAL_CONFIGURATION } from '../wallets/eu-microcredential.js';
import { WALLET_AUTHORIZE_PATH } from '../wallets/issuer-metadata.js';
import { WalletError } from '../wallets/offers.js';
import { clearCookie, parseCookies, setCookie, type CookiePolicy } from '../web/cookies.js';
import { formToken, requireFormToken } from '../web/csrf.js';
import { HttpError } from '../web/errors.js';
import { pickLanguage } from '../web/language.js';
import { loadSessions } from '../web/sessions.js';
import { describeCredential } from './credential-view.js';
import { sendScreen } from './layout.js';
import { learnerOf, type LearnerIdentity } from './learner-identity.js';

/** Remembers, for minutes, a wallet's request that waits for the learner to sign in (the learner page resumes it). */
const PENDING_COOKIE = 'credbridge_wallet_request';
const PENDING_TTL_MS = 10 * 60_000;

/** The authorization page's address for a pushed request, keeping a signed link's token when there is one. */
export function authorizeHref(request: { clientId: string; requestUri: string }, token?: string): string {
  return `${WALLET_AUTHORIZE_PATH}?${new URLSearchParams({
    client_id: request.clientId,
    request_uri: request.requestUri,
    ...(token ? { t: token } : {}),
  })}`;
}

/** The wallet's request this browser was asked to sign in for, if it still waits. */
export async function waitingRequest(req: Request): Promise<PendingRequest | undefined> {
  const saved = parseCookies(req)[PENDING_COOKIE];
  if (!saved) return undefined;
  try {
    const { c, r } = JSON.parse(saved) as { c?: unknown; r?: unknown };
    return typeof c === 'string' && typeof r === 'string' ? await pendingRequest(r, c) : undefined;
  } catch {
    return undefined;
  }
}

/** One line on the learner's page when a wallet waits for them to sign in: where to continue. */
export function waitingBanner(request: PendingRequest | undefined, t: Translate, token?: string): Html | '' {
  if (!request) return '';
  // Named as the consent page names it: a planted request shows whose it is before anyone clicks.
  return html`<p class="notice" role="status" data-wallet-waiting>
    ${t('walletConsent.waiting')} <strong>${request.clientId}</strong> → ${destinationOf(request.redirectUri)}
    <a class="button" href="${authorizeHref(request, token)}">${t('walletConsent.continue')}</a>
  </p>`;
}

/**
 * Whether the browser says this request is a page the person opened (Fetch Metadata `Sec-Fetch-Dest: document`),
 * or says nothing; an image, a frame or a script's fetch says otherwise.
 */
function topLevelNavigation(req: Request): boolean {
  const dest = req.get('sec-fetch-dest');
  return !dest || dest === 'document';
}

/** Where the answer goes, as a person reads it: the host of an https address, or the wallet app's scheme. */
function destinationOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.host : url.protocol.replace(/:$/, '');
}

/**
 * What may be named in form-action so the browser follows the answer's redirect to the wallet: an origin or a
 * scheme (redirect URIs were checked when pushed); anything that is not one is left out rather than written into
 * the policy.
 */
function formTarget(redirectUri: string): string[] {
  const url = new URL(redirectUri);
  const target = url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
  return /^(https?:\/\/[a-z0-9.[\]:-]+|[a-z][a-z0-9+.-]*:)$/i.test(target) ? [target] : [];
}

/**
 * The authorization endpoint of the authorization code flow (OpenID4VCI 1.0 with PAR): a page in the learner's
 * browser where, signed in by their launch session or the signed link of their e-mail, they choose which of their
 * credentials the wallet receives, or decline. Without either, the page says how to sign in, and the learner's
 * page offers to continue.
 */
export function walletConsentRouter(config: Config, kek: Buffer): Router {
  const router = Router();
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  const linkKey = learnerLinkKey(kek);
  const cookies: CookiePolicy = { insecure: config.LTI_INSECURE_COOKIES };
  router.use(WALLET_AUTHORIZE_PATH, loadSessions);

  const requestOf = async (source: Record<string, unknown>) => {
    const [clientId, requestUri] = [source.client_id, source.request_uri];
    if (typeof clientId !== 'string' || typeof requestUri !== 'string')
      throw new HttpError(
        400,
        'invalid_request',
        'client_id and request_uri: both are required (pushed requests only)',
      );
    return pendingRequest(requestUri, clientId);
  };

  /** The learner's credentials this request may take: theirs, of the issuer it names, and neither revoked nor suspended. */
  const choicesFor = async (
    learner: LearnerIdentity,
    request: PendingRequest,
    lang: ReturnType<typeof pickLanguage>,
  ) => {
    const stored = (await findCredentials({ learnerRef: learner.ref })).filter(
      (s) => !request.issuerId || s.issuerId === request.issuerId,
    );
    const views = await Promise.all(
      stored.map(async (s) => ({ stored: s, view: await describeCredential(s, lang) })),
    );
    return views.filter((v) => v.view.state === 'valid' || v.view.state === 'expired');
  };

  const expired = (req: Request, res: Response, t: Translate, lang: ReturnType<typeof pickLanguage>) =>
    sendScreen(req, res, {
      lang,
      t,
      status: 400,
      title: t('walletConsent.title'),
      body: html`<p class="warning" role="alert">${t('walletConsent.expired')}</p>`,
    });

  router.get(WALLET_AUTHORIZE_PATH, async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const request = await requestOf(query);
    const learner = learnerOf(req, linkKey, query.t);
    const lang = pickLanguage(req, res, learner?.locale);
    const t = translator(lang);
    if (!request) return expired(req, res, t, lang);
    if (!learner) {
      // Remembered for the learner's page only when the learner opened it: an image or frame another site loads
      // could otherwise plant a stranger's request there.
      if (topLevelNavigation(req))
        setCookie(
          res,
          cookies,
          PENDING_COOKIE,
          JSON.stringify({ c: request.clientId, r: request.requestUri }),
          PENDING_TTL_MS,
        );
      return sendScreen(req, res, {
        lang,
        t,
        status: 401,
        title: t('walletConsent.title'),
        body: html`<p>${t('walletConsent.signIn')}</p>`,
      });
    }
    const choices = await choicesFor(learner, request, lang);
    const kind =
      request.configurationId === EU_MICROCREDENTIAL_CONFIGURATION
        ? 'walletConsent.kindEu'
        : 'walletConsent.kindBadge';
    sendScreen(req, res, {
      lang,
      t,
      title: t('walletConsent.title'),
      // The form posts here, and its answer redirects to the wallet: a form target too (CSP form-action).
      formTargets: formTarget(request.redirectUri),
      body: html`<section class="card" aria-labelledby="consent-h">
        <h2 id="consent-h">${t('walletConsent.heading')}</h2>
        <p>
          ${t('walletConsent.intro', { client: request.clientId, destination: destinationOf(request.redirectUri) })}
        </p>
        <p>${t(kind)}</p>
        <p class="hint">${t('walletConsent.caution')}</p>
        <form method="post" action="${WALLET_AUTHORIZE_PATH}">
          <input type="hidden" name="_csrf" value="${formToken(req, res)}" />
          <input type="hidden" name="client_id" value="${request.clientId}" />
          <input type="hidden" name="request_uri" value="${request.requestUri}" />
          ${learner.token ? html`<input type="hidden" name="t" value="${learner.token}" />` : ''}
          ${
            choices.length
              ? html`<fieldset>
                    <legend>${t('walletConsent.choose')}</legend>
                    ${choices.map(
                      (c, i) =>
                        html`<p>
                          <input
                            type="radio"
                            id="cred-${i}"
                            name="credential"
                            value="${c.stored._id}"
                            ${i === 0 ? html` checked` : ''}
                          />
                          <label for="cred-${i}">${c.view.title} · ${c.view.issuer}</label>
                        </p>`,
                    )}
                  </fieldset>
                  <button type="submit" name="decision" value="allow">${t('walletConsent.allow')}</button>`
              : html`<p class="empty">${t('walletConsent.none')}</p>`
          }
          <button type="submit" name="decision" value="deny" class="secondary">
            ${t('walletConsent.deny')}
          </button>
        </form>
      </section>`,
    });
  });

  router.post(WALLET_AUTHORIZE_PATH, urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    requireFormToken(req);
    const request = await requestOf(body);
    const learner = learnerOf(req, linkKey, body.t);
    const lang = pickLanguage(req, res, learner?.locale);
    const t = translator(lang);
    if (!request) return expired(req, res, t, lang);
    if (!learner)
      throw new HttpError(
        401,
        'no_session',
        'Open your credentials page again, from your course or your e-mail.',
      );
    let answer: Parameters<typeof answerRequest>[2];
    if (body.decision === 'allow') {
      const chosen = (await choicesFor(learner, request, lang)).find((c) => c.stored._id === body.credential);
      // Another learner's credential, a revoked one or one of another issuer: not among the choices.
      if (!chosen)
        throw new HttpError(
          400,
          'invalid_credential',
          'credential: not one of your credentials this wallet may receive',
        );
      answer = {
        grant: { credentialId: chosen.stored._id, issuerId: chosen.stored.issuerId, learnerRef: learner.ref },
      };
    } else if (body.decision === 'deny') {
      answer = { denied: true };
    } else {
      throw new HttpError(400, 'invalid_request', 'decision: must be "allow" or "deny"');
    }
    let location: string;
    try {
      location = await answerRequest(request, publicUrl, answer);
    } catch (err) {
      if (err instanceof WalletError) return expired(req, res, t, lang);
      throw err;
    }
    clearCookie(res, cookies, PENDING_COOKIE);
    await recordAudit(
      {
        actor: { kind: 'learner', id: learner.ref },
        action: 'grant' in answer ? 'wallet.authorize' : 'wallet.decline',
        target:
          'grant' in answer
            ? { kind: 'credential', id: answer.grant.credentialId }
            : { kind: 'wallet-request', id: request.id },
        details: {
          configuration: request.configurationId,
          client: request.clientId,
          destination: destinationOf(request.redirectUri),
        },
      },
      config.AUDIT_RETENTION_DAYS,
    );
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, location);
  });

  return router;
}
