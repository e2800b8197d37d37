import { Router } from 'express';
import { textIn } from '../../i18n/languages.js';
import { rotateIssuerKey, institutionIssuers } from '../../issuers/issuers.js';
import { parseEncryptionKey } from '../../security/encryption.js';
import { HttpError } from '../../web/errors.js';
import { html } from '../../render/html.js';
import { institutionOf, institutionOnly, type ConsoleKit } from './console.js';

/** The institution's issuers: their did:web and keys, and key rotation (retired keys keep old credentials verifying). */
export function issuerPages(kit: ConsoleKit): Router {
  const router = Router();
  router.use('/admin/issuers', institutionOnly);

  router.get('/admin/issuers', async (req, res) => {
    const [t, lang] = kit.tr(req, res);
    const issuers = await institutionIssuers(institutionOf(req));
    kit.screen(
      req,
      res,
      t('issuers'),
      html`${issuers.map((i) => {
        const name = textIn(i.profile.legalName, lang);
        return html`<section class="panel" aria-labelledby="iss-${i._id}">
          <h2 id="iss-${i._id}">${name} ${i.isDefault ? html`<small>(${t('default')})</small>` : ''}</h2>
          <p><code>${i.did}</code></p>
          <h3>${t('keys')}</h3>
          <ul>
            ${i.keys.map(
              (k) =>
                html`<li>
                  <code>${k.keyId}</code> —
                  ${k.status}${k.createdAt ? html`, ${new Date(k.createdAt).toISOString().slice(0, 10)}` : ''}
                </li>`,
            )}
          </ul>
          <form method="post" action="/admin/issuers/${i._id}/rotate">
            ${kit.csrf(req)}<button type="submit">${t('rotateKey')}</button>
          </form>
        </section>`;
      })}`,
      'issuers',
    );
  });

  router.post('/admin/issuers/:id/rotate', async (req, res) => {
    if (!kit.config.KEY_ENCRYPTION_KEY)
      throw new HttpError(503, 'signing_unavailable', 'KEY_ENCRYPTION_KEY is not set');
    const id = String(req.params.id);
    // Another institution's issuer is "no such issuer", exactly like one that does not exist.
    if (!(await institutionIssuers(institutionOf(req))).some((i) => i._id === id))
      throw new HttpError(404, 'not_found', 'No such issuer');
    await rotateIssuerKey(id, parseEncryptionKey(kit.config.KEY_ENCRYPTION_KEY));
    await kit.audit(req, 'issuer.rotate-key', 'issuer', id);
    res.redirect(303, '/admin/issuers');
  });

  return router;
}
