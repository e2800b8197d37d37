import { verifications } from '../metrics/metrics.js';
import { bakedPng, bakedSvg } from '../badges/baked-badge.js';
import { Router, urlencoded, type Request, type Response } from 'express';
import type { Config } from '../config/env.js';
import { storedPairVerifier, type StoredPairVerifier } from '../credentials/stored-verification.js';
import { verifyPresentation } from '../credentials/presentation-verifier.js';
import { verifyCredential } from '../credentials/verifier.js';
import { credentialPageUrl } from '../issuance/links.js';
import { regradeStatuses } from '../issuance/regrade-status.js';
import { installationVerification } from '../issuers/recognition.js';
import { cachedIssuer } from '../issuers/issuer-cache.js';
import { brandingOf, DEFAULT_BRANDING } from '../institutions/branding.js';
import { printablePng, PRINT_BOXES } from '../badges/printable.js';
import { publicReadCors } from '../web/cors.js';
import { HttpError } from '../web/errors.js';
import { certificatePdf, paperFor, PAPER_SIZES, type PaperSize } from './certificate.js';
import { findCredential } from '../credentials/credential-store.js';
import { describeCredential } from './credential-view.js';
import { formToken, requireFormToken } from '../web/csrf.js';
import { html, type Html } from '../render/html.js';
import { translator, type Translate } from '../i18n/catalogs.js';
import { type Language } from '../i18n/languages.js';
import { pickLanguage } from '../web/language.js';
import { sendScreen } from './layout.js';
import { regradeState } from './reasons.js';
import { facts, sealNote, stateBadge } from './views/credential-card.js';
import { checkList, rawJson, verdict } from './views/verification.js';

const ID = /^[A-Za-z0-9_-]{1,100}$/;

function publicNav(t: ReturnType<typeof translator>, current: 'verify' | 'none') {
  return [{ label: t('verifyACredential'), href: '/verify', current: current === 'verify' }];
}

/**
 * Public screens: the page of one credential for a person (every check in plain words, raw JSON), the files
 * (OB3, ELM, printable certificate), and a page where anyone can paste or upload a credential to verify it.
 */
export function publicScreensRouter(
  config: Config,
  deps: { verifyStored?: StoredPairVerifier } = {},
): Router {
  const router = Router();
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  const verification = installationVerification(config);
  const verifyStored = deps.verifyStored ?? storedPairVerifier(verification, config.VERIFY_CACHE_SECONDS);

  const load = async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const stored = ID.test(id) ? await findCredential(id) : undefined;
    if (!stored) throw new HttpError(404, 'not_found', 'No such credential');
    // Unless the reader chose a language, the page and certificate speak the credential's (the learner's).
    const lang = pickLanguage(req, res, stored.language ?? undefined);
    return { stored, view: await describeCredential(stored, lang), lang, t: translator(lang) };
  };

  router.get('/credentials/:id', async (req, res) => {
    const { stored, view, lang, t } = await load(req, res);
    const { ob3, elm, verdict: storedVerdict } = await verifyStored(stored);
    verifications.inc({ kind: 'stored', verdict: storedVerdict });
    const files = `/credentials/${encodeURIComponent(view.id)}/files`;
    // A regrade's suspension or revocation says so in general words: the holder's grades are not public.
    const { state } = view;
    const request =
      state === 'suspended' || state === 'revoked'
        ? (await regradeStatuses([view.id])).get(view.id)
        : undefined;
    const regraded = request !== undefined && regradeState(request) === state;
    const explained =
      state === 'valid' ? '' : t(regraded ? `regradeExplained.${state}` : `stateExplained.${state}`);
    sendScreen(req, res, {
      lang,
      t,
      title: view.title,
      nav: publicNav(t, 'none'),
      body: html` <section class="card" aria-labelledby="who">
          <div class="card-head">
            ${view.image ? html`<img class="badge" src="${view.image}" alt="" width="96" height="96" />` : ''}
            <p id="who" class="lead">${t('awardedTo', { name: view.learnerName || '—' })}</p>
          </div>
          ${view.state !== 'valid' ? html`<p class="warning" role="alert">${explained} ${stateBadge(view, t)}</p>` : ''}
          ${view.description ? html`<p>${view.description}</p>` : ''} ${facts(view, t, lang)}
        </section>
        <section aria-labelledby="checks-h">
          <h2 id="checks-h">${t('checks')}</h2>
          ${verdict([ob3, elm], t, lang)}
          <h3>Open Badges 3.0</h3>
          ${checkList(ob3, t, lang)}
          <h3>${t('elmName')}</h3>
          <p>${sealNote(view, t)}</p>
          ${checkList(elm, t, lang)}
        </section>
        <section aria-labelledby="raw-h">
          <h2 id="raw-h">${t('rawDocuments')}</h2>
          <p>
            <a href="${files}/ob3.json" download>${t('downloadOb3')}</a> ·
            <a href="${files}/elm.jsonld" download>${t('downloadElm')}</a> ·
            <a href="${files}/certificate.pdf?lang=${lang}">${t('downloadPdf')}</a>
          </p>
          ${rawJson('Open Badges 3.0 (JSON)', stored.ob3)} ${rawJson(`${t('elmName')} (JSON-LD)`, stored.elm)}
        </section>`,
    });
  });

  router.get('/credentials/:id/files/:file', publicReadCors, async (req, res) => {
    const { stored, view, lang, t } = await load(req, res);
    const file = String(req.params.file);
    res.setHeader('Cache-Control', 'no-store');
    if (file === 'ob3.json') {
      res.attachment(`credential-${view.id}-ob3.json`).type('application/json');
      res.send(JSON.stringify(stored.ob3, null, 2));
    } else if (file === 'elm.jsonld') {
      // Sealed, the file is the JWS JSON document Europass takes (named .jsonld as the EU's own samples are).
      if (view.sealedBy) res.attachment(`credential-${view.id}-europass.jsonld`).type('application/json');
      else res.attachment(`credential-${view.id}-elm.jsonld`).type('application/ld+json');
      res.send(JSON.stringify(stored.elm, null, 2));
    } else if (file === 'badge.png' || file === 'badge.svg') {
      // The badge picture with the Open Badge baked in. The SVG is made here (an uploaded one is only shown
      // inside it as an image) and, opened on its own, may run nothing and load nothing.
      const png = file === 'badge.png' ? bakedPng(stored.ob3) : undefined;
      if (file === 'badge.png' && !png)
        throw new HttpError(404, 'not_found', 'This badge’s image is not a PNG: use badge.svg');
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'",
      );
      if (png) res.attachment(`badge-${view.id}.png`).type('image/png').send(png);
      else res.attachment(`badge-${view.id}.svg`).type('image/svg+xml').send(bakedSvg(stored.ob3));
    } else if (file === 'certificate.pdf') {
      // ?paper=a4|letter, else the paper of the reader's region (en-US prints on Letter).
      const asked = String(req.query.paper ?? '');
      const paper = (PAPER_SIZES as readonly string[]).includes(asked)
        ? (asked as PaperSize)
        : paperFor(req.get('accept-language'));
      // In the colours and with the logo of the institution whose issuer signed it. The pictures were drawn when
      // they were uploaded and are read here: this request draws no administrator's picture itself.
      const issuer = await cachedIssuer(stored.issuerId);
      const branding = issuer ? await brandingOf(issuer.institutionId) : DEFAULT_BRANDING;
      const [badge, logo] = await Promise.all([
        printablePng(view.image, PRINT_BOXES.badge),
        printablePng(branding.logo, PRINT_BOXES.logo),
      ]);
      const pdf = await certificatePdf(view, credentialPageUrl(publicUrl, view.id), t, lang, {
        paper,
        color: branding.color,
        accent: branding.accent,
        ...(badge ? { badge } : {}),
        ...(logo ? { logo } : {}),
      });
      res.attachment(`certificate-${view.id}.pdf`).type('application/pdf').send(pdf);
    } else {
      throw new HttpError(
        404,
        'not_found',
        'Use ob3.json, elm.jsonld, certificate.pdf, badge.png or badge.svg',
      );
    }
  });

  const verifyForm = (token: string, t: ReturnType<typeof translator>, text = '') =>
    html` <p>${t('verifyIntro')}</p>
      <form method="post" action="/verify" class="stack" id="verify-form">
        <input type="hidden" name="_csrf" value="${token}" />
        <label for="credential-file">${t('uploadFile')}</label>
        <input
          id="credential-file"
          type="file"
          accept=".json,.jsonld,application/json,application/ld+json"
          data-fills="credential-text"
        />
        <label for="credential-text">${t('pasteCredential')}</label>
        <textarea id="credential-text" name="credential" rows="10" required>${text}</textarea>
        <button type="submit">${t('verify')}</button>
      </form>`;

  router.get('/verify', (req, res) => {
    const lang = pickLanguage(req, res);
    const t = translator(lang);
    sendScreen(req, res, {
      lang,
      t,
      title: t('verifyACredential'),
      nav: publicNav(t, 'verify'),
      body: verifyForm(formToken(req, res), t),
      scripts: ['common.js'],
    });
  });

  router.post('/verify', urlencoded({ extended: false, limit: '512kb' }), async (req, res) => {
    requireFormToken(req);
    const lang = pickLanguage(req, res);
    const t = translator(lang);
    const text = String((req.body as { credential?: unknown }).credential ?? '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const body = parsed && typeof parsed === 'object' ? await verifiedBody(parsed, lang, t) : undefined;
    sendScreen(req, res, {
      lang,
      t,
      title: t('verifyACredential'),
      nav: publicNav(t, 'verify'),
      status: body ? 200 : 400,
      scripts: ['common.js'],
      body: html` <section aria-labelledby="result-h" class="result">
          <h2 id="result-h">${t('result')}</h2>
          ${body ?? html`<p class="verdict fail" role="alert">${t('notJson')}</p>`}
        </section>
        ${verifyForm(formToken(req, res), t, text)}`,
    });
  });

  /**
   * A credential or a presentation, bare or as a VC API body ({verifiableCredential}, {verifiablePresentation}),
   * verified and described: a presentation's own checks, then each credential in it.
   */
  async function verifiedBody(parsed: object, lang: Language, t: Translate): Promise<Html> {
    const wrapped = parsed as {
      verifiableCredential?: unknown;
      verifiablePresentation?: unknown;
      type?: unknown;
    };
    const types = Array.isArray(wrapped.type) ? wrapped.type : [wrapped.type];
    const presentation =
      wrapped.verifiablePresentation ?? (types.includes('VerifiablePresentation') ? parsed : undefined);
    if (!presentation) {
      const result = await verifyCredential(wrapped.verifiableCredential ?? parsed, verification);
      verifications.inc({ kind: 'credential', verdict: result.verdict });
      return html`${verdict([result], t, lang)}${checkList(result, t, lang)}`;
    }
    const result = await verifyPresentation(presentation, verification);
    verifications.inc({ kind: 'presentation', verdict: result.verdict });
    const ownOk = result.checks.every((c) => c.ok);
    // The presentation's own checks (shape, the holder's proof) count in the headline like a credential's.
    const own = {
      verified: ownOk,
      verdict: ownOk ? 'verified' : 'not-verified',
      format: 'vc',
      checks: result.checks,
    } as const;
    const count = result.credentials.length;
    return html`${verdict([own, ...result.credentials], t, lang)}
      <h3>${t('presentation')}</h3>
      ${typeof presentation === 'object' && presentation !== null && !('proof' in presentation) ? html`<p class="warning">${t('presentationUnsigned')}</p>` : ''}
      ${checkList(own, t, lang)}
      ${result.credentials.map(
        (r, i) =>
          html`<h3>${t('presentedCredential', { n: i + 1, count })}</h3>
            ${verdict([r], t, lang)}${checkList(r, t, lang)}`,
      )}`;
  }

  return router;
}
