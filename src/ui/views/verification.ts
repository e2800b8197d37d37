import type { VerificationCheck, VerificationResult } from '../../credentials/verifier.js';
import { html, type Html } from '../html.js';
import type { Translate } from '../i18n.js';

/** Each check in plain words, with the technical detail beside it for whoever needs it. */
export function checkList(result: VerificationResult, t: Translate): Html {
  const word = (c: VerificationCheck) => {
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

export function verdict(verified: boolean, t: Translate): Html {
  return verified
    ? html`<p class="verdict ok" role="status">${t('verdict.ok')}</p>`
    : html`<p class="verdict fail" role="status">${t('verdict.fail')}</p>`;
}

export function rawJson(label: string, doc: unknown): Html {
  return html`<details class="raw">
    <summary>${label}</summary>
    <pre tabindex="0">${JSON.stringify(doc, null, 2)}</pre>
  </details>`;
}
