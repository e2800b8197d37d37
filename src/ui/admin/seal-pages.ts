import { Router, type Request, type Response } from 'express';
import { Refusal } from '../../errors/refusal.js';
import { findInstitution } from '../../institutions/institutions.js';
import { html, type Html } from '../../render/html.js';
import {
  createTestSeal,
  importSeal,
  institutionSeals,
  summarizeSeal,
  type SealSummary,
} from '../../seals/seals.js';
import { parseEncryptionKey } from '../../security/encryption.js';
import { HttpError } from '../../web/errors.js';
import { formatDate } from '../views/credential-card.js';
import { institutionOf, institutionOnly, type ConsoleKit } from './console.js';

interface SealForm {
  password?: string;
  privateKey?: string;
  certificates?: string;
}

/**
 * The institution's eSeal: the active seal's certificate (holder, issuer, validity, qualified or not, a warning
 * before it expires), its earlier seals, importing one (PKCS#12 with its password, or PEM key and chain) and
 * making a labelled test seal. Importing a seal rotates: the earlier one is retired, its credentials keep
 * verifying (each carries its certificate).
 */
export function sealPages(kit: ConsoleKit): Router {
  const router = Router();
  router.use('/admin/seal', institutionOnly);

  const kek = () => {
    if (!kit.config.KEY_ENCRYPTION_KEY)
      throw new HttpError(503, 'signing_unavailable', 'KEY_ENCRYPTION_KEY is not set');
    return parseEncryptionKey(kit.config.KEY_ENCRYPTION_KEY);
  };

  const sealPage = async (
    req: Request,
    res: Response,
    options: { notice?: Html; problems?: string[]; status?: number } = {},
  ) => {
    const [t, lang] = kit.tr(req, res);
    const seals = (await institutionSeals(institutionOf(req))).map((s) => summarizeSeal(s));
    const active = seals.find((s) => s.status === 'active');
    const date = (iso: string | Date) => formatDate(new Date(iso), lang);
    const facts = (s: SealSummary) =>
      html`<dl class="facts">
        <dt>${t('seal.holder')}</dt>
        <dd>${s.holder}${s.test ? html` <strong class="badge warn">${t('seal.testLabel')}</strong>` : ''}</dd>
        <dt>${t('seal.subject')}</dt>
        <dd>${s.subject}</dd>
        <dt>${t('seal.issuerCa')}</dt>
        <dd>${s.issuer}</dd>
        <dt>${t('seal.validity')}</dt>
        <dd>${t('seal.validRange', { from: date(s.validFrom), to: date(s.validTo) })}</dd>
        <dt>${t('seal.qualifiedLabel')}</dt>
        <dd>${s.test ? t('seal.testLabel') : s.qualified ? t('seal.qualified') : t('seal.notQualified')}</dd>
        <dt>x5t#S256</dt>
        <dd><code>${s.fingerprint}</code></dd>
      </dl>`;
    kit.screen(
      req,
      res,
      t('seal.title'),
      html`${options.notice ?? ''}
        <p>${t('seal.intro')}</p>
        ${
          active
            ? html`<section class="panel" aria-labelledby="seal-active">
                <h2 id="seal-active">${t('seal.active')}</h2>
                ${
                  active.warning === 'expired'
                    ? html`<p class="warning" role="alert">${t('seal.expired')}</p>`
                    : active.warning === 'expiring'
                      ? html`<p class="warning" role="alert">
                          ${t('seal.expiring', { days: active.daysLeft })}
                        </p>`
                      : ''
                }
                ${facts(active)}
              </section>`
            : html`<p class="warning">${t('seal.none')}</p>`
        }
        <section class="panel" aria-labelledby="seal-import">
          <h2 id="seal-import">${t('seal.import')}</h2>
          <p>${t('seal.importHelp')}</p>
          ${
            options.problems?.length
              ? html`<div class="warning" role="alert">
                  <p>${t('seal.cannotImport')}</p>
                  <ul class="problems">
                    ${options.problems.map((p) => html`<li>${p}</li>`)}
                  </ul>
                </div>`
              : ''
          }
          <form method="post" action="/admin/seal/import" enctype="multipart/form-data">
            ${kit.csrf(req)}
            <label for="seal-pkcs12">${t('seal.pkcs12')}</label>
            <input id="seal-pkcs12" name="pkcs12" type="file" accept=".p12,.pfx,application/x-pkcs12" />
            <label for="seal-password">${t('seal.password')}</label>
            <input id="seal-password" name="password" type="password" autocomplete="off" />
            <details>
              <summary>${t('seal.orPem')}</summary>
              <label for="seal-key">${t('seal.privateKey')}</label>
              <textarea
                id="seal-key"
                name="privateKey"
                rows="6"
                spellcheck="false"
                autocomplete="off"
              ></textarea>
              <label for="seal-certs">${t('seal.certificates')}</label>
              <textarea id="seal-certs" name="certificates" rows="8" spellcheck="false"></textarea>
            </details>
            <button type="submit">${t('seal.importButton')}</button>
          </form>
        </section>
        <section class="panel" aria-labelledby="seal-test">
          <h2 id="seal-test">${t('seal.makeTest')}</h2>
          <p>${t('seal.makeTestHelp')}</p>
          <form method="post" action="/admin/seal/test">
            ${kit.csrf(req)}<button type="submit" class="secondary">${t('seal.makeTest')}</button>
          </form>
        </section>
        ${
          seals.some((s) => s.status === 'retired')
            ? html`<section class="panel" aria-labelledby="seal-history">
                <h2 id="seal-history">${t('seal.history')}</h2>
                <ul>
                  ${seals
                    .filter((s) => s.status === 'retired')
                    .map(
                      (s) =>
                        html`<li>
                          ${s.holder}${s.test ? html` (${t('seal.testLabel')})` : ''} —
                          ${t('seal.validRange', { from: date(s.validFrom), to: date(s.validTo) })},
                          ${t('seal.retiredOn', { date: s.retiredAt ? date(s.retiredAt) : '' })}
                        </li>`,
                    )}
                </ul>
              </section>`
            : ''
        }`,
      'seal',
      options.status,
    );
  };

  router.get('/admin/seal', (req, res) => {
    const [t] = kit.tr(req, res);
    const imported = req.query.imported === '1';
    return sealPage(
      req,
      res,
      imported ? { notice: html`<p class="notice" role="status">${t('seal.imported')}</p>` } : {},
    );
  });

  router.post('/admin/seal/import', async (req, res) => {
    const form = req.body as SealForm;
    const file = req.file?.buffer;
    try {
      const input = file?.length
        ? { pkcs12: file, password: form.password ?? '' }
        : form.privateKey?.trim() || form.certificates?.trim()
          ? { privateKeyPem: form.privateKey ?? '', certificatesPem: form.certificates ?? '' }
          : undefined;
      if (!input)
        throw new Refusal('invalid', 'invalid_seal', 'nothing to import', [
          'pkcs12: choose a PKCS#12 file, or paste a PEM private key and its certificates',
        ]);
      const seal = await importSeal(institutionOf(req), input, kek());
      await kit.audit(req, 'seal.import', 'seal', seal._id, { subject: seal.subject, issuer: seal.issuer });
      res.redirect(303, '/admin/seal?imported=1');
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      await sealPage(req, res, { problems: err.problems, status: err.kind === 'conflict' ? 409 : 400 });
    }
  });

  router.post('/admin/seal/test', async (req, res) => {
    const institution = await findInstitution(institutionOf(req));
    const seal = await createTestSeal(institutionOf(req), institution?.name ?? institutionOf(req), kek());
    await kit.audit(req, 'seal.test', 'seal', seal._id, { subject: seal.subject });
    res.redirect(303, '/admin/seal?imported=1');
  });

  return router;
}
