import {
  combinedVerdict,
  type IssuerVerdict,
  type VerificationCheck,
  type VerificationResult,
} from '../../credentials/verifier.js';
import { localized } from '../credential-view.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import type { Language } from '../../i18n/languages.js';

/** Each check in plain words, with the technical detail beside it for whoever needs it. */
export function checkList(result: VerificationResult, t: Translate, lang: Language): Html {
  const word = (c: VerificationCheck) => {
    if (c.check === 'issuer') return issuerWord(c, result.issuer, t, lang);
    if (c.check === 'status' && !c.ok && /revoked/.test(c.message)) return t('check.status.revoked');
    if (c.check === 'status' && !c.ok && /suspended/.test(c.message)) return t('check.status.suspended');
    if (c.check === 'validity' && !c.ok && /expired/.test(c.message)) return t('check.validity.expired');
    return t(`check.${c.check}.${c.ok ? 'ok' : 'fail'}`);
  };
  return html`<ul class="checks">
    ${result.checks.map(
      (c) =>
        html`<li class="${c.ok ? 'ok' : 'fail'}">
          <span class="mark" aria-hidden="true">${c.ok ? '✓' : '✗'}</span>
          <span class="visually-hidden">${c.ok ? t('passed') : t('failed')}:</span> ${word(c)}
          <small class="detail">${c.message}</small>
        </li>`,
    )}
  </ul>`;
}

function issuerWord(c: VerificationCheck, issuer: IssuerVerdict | undefined, t: Translate, lang: Language) {
  if (c.ok && issuer?.recognised === 'installation')
    return t('check.issuer.installation', { name: localized(issuer.legalName, lang) || issuer.id });
  if (c.ok && issuer?.recognised === 'trusted-list') return t('check.issuer.trusted');
  if (!c.ok && /not recognised/.test(c.message)) return t('check.issuer.unrecognised');
  return t(`check.issuer.${c.ok ? 'ok' : 'fail'}`);
}

/** Who issued it, by our record's name for our own issuers; for anyone else, the DID and what it calls itself. */
function issuerLine(issuer: IssuerVerdict, t: Translate, lang: Language): Html {
  const stated = issuer.statedName ? ` ${t('verdict.issuer.stated', { name: issuer.statedName })}` : '';
  if (issuer.recognised === 'installation') {
    const name = localized(issuer.legalName, lang) || issuer.id;
    return html`<p class="verdict-issuer">${t('verdict.issuer.installation', { name })}</p>`;
  }
  const key = issuer.recognised === 'trusted-list' ? 'verdict.issuer.trusted' : 'verdict.issuer.unknown';
  return html`<p class="verdict-issuer">${t(key, { did: issuer.id })}${stated}</p>`;
}

/**
 * The verdict over one or more documents of a credential, naming the issuer. Three looks: genuine and valid
 * (recognised issuer, every check passed), signature valid but issuer not recognised, and not valid.
 */
export function verdict(results: VerificationResult[], t: Translate, lang: Language): Html {
  const outcome = combinedVerdict(results);
  const [kind, headline] =
    outcome === 'verified'
      ? (['ok', t('verdict.ok')] as const)
      : outcome === 'issuer-not-recognised'
        ? (['unrecognised', t('verdict.unrecognised')] as const)
        : (['fail', t('verdict.fail')] as const);
  const issuers = new Map(results.flatMap((r) => (r.issuer ? [[r.issuer.id, r.issuer] as const] : [])));
  return html`<div class="verdict ${kind}" role="status">
    <p class="verdict-head">${headline}</p>
    ${[...issuers.values()].map((i) => issuerLine(i, t, lang))}
  </div>`;
}

export function rawJson(label: string, doc: unknown): Html {
  return html`<details class="raw">
    <summary>${label}</summary>
    <pre tabindex="0">${JSON.stringify(doc, null, 2)}</pre>
  </details>`;
}
