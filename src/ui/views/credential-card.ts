import { credentialPageUrl } from '../../issuance/links.js';
import type { CredentialView } from '../credential-view.js';
import { html, type Html } from '../../render/html.js';
import type { Translate } from '../../i18n/catalogs.js';
import type { Language } from '../../i18n/languages.js';

export function formatDate(date: Date, lang: Language): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

export function stateBadge(view: CredentialView, t: Translate): Html {
  return html`<span class="state state-${view.state}">${t(`state.${view.state}`)}</span>`;
}

/** LinkedIn's "add certification to profile" link, prefilled. */
export function linkedInUrl(view: CredentialView, pageUrl: string): string {
  const params = new URLSearchParams({
    startTask: 'CERTIFICATION_NAME',
    name: view.title,
    organizationName: view.issuer,
    issueYear: String(view.issuedAt.getUTCFullYear()),
    issueMonth: String(view.issuedAt.getUTCMonth() + 1),
    certUrl: pageUrl,
    certId: view.id,
  });
  if (view.validUntil) {
    params.set('expirationYear', String(view.validUntil.getUTCFullYear()));
    params.set('expirationMonth', String(view.validUntil.getUTCMonth() + 1));
  }
  return `https://www.linkedin.com/profile/add?${params}`;
}

export function facts(view: CredentialView, t: Translate, lang: Language): Html {
  return html`<dl class="facts">
      <dt>${t('issuer')}</dt>
      <dd>${view.issuer}</dd>
      <dt>${t('issuedOn')}</dt>
      <dd>${formatDate(view.issuedAt, lang)}</dd>
      ${
        view.validUntil
          ? html`<dt>${t('validUntil')}</dt>
              <dd>${formatDate(view.validUntil, lang)}</dd>`
          : ''
      }
      ${
        view.level
          ? html`<dt>${t('level')}</dt>
              <dd>${view.level}</dd>`
          : ''
      }
      ${
        view.workload
          ? html`<dt>${t('workload')}</dt>
              <dd>${view.workload}</dd>`
          : ''
      }
      <dt>${t('status')}</dt>
      <dd>${stateBadge(view, t)}</dd>
    </dl>
    ${
      view.outcomes.length
        ? html`<h3>${t('outcomes')}</h3>
            <ul class="outcomes">
              ${view.outcomes.map((o) => html`<li>${o}</li>`)}
            </ul>`
        : ''
    }`;
}

/** One line on the European credential: sealed for Europass by whom (a test seal said so), or not sealed. */
export function sealNote(view: CredentialView, t: Translate): Html {
  if (!view.sealedBy)
    return html`<span class="hint" data-seal="none">${t('files.helpElm')} ${t('seal.notSealed')}</span>`;
  return html`<span class="hint" data-seal="sealed">
    ${t('seal.europassHelp', { holder: view.sealedBy.holder })}
    ${view.sealedBy.test ? html`<strong class="badge warn">${t('seal.testLabel')}</strong>` : ''}
  </span>`;
}

/**
 * One credential of the learner: what it says, its honest status (and `why`, when the learner may know why
 * it is suspended or revoked), and what can be done with it.
 */
export function credentialCard(
  view: CredentialView,
  t: Translate,
  lang: Language,
  publicUrl: string,
  why?: string,
  walletOffer?: (kind: 'eu' | 'badge') => string,
): Html {
  const page = credentialPageUrl(publicUrl, view.id);
  const files = `/credentials/${encodeURIComponent(view.id)}/files`;
  const shareId = `share-${view.id}`;
  return html`<article class="card" aria-labelledby="title-${view.id}">
    <div class="card-head">
      ${view.image ? html`<img class="badge" src="${view.image}" alt="" width="72" height="72" />` : ''}
      <h2 id="title-${view.id}">${view.title}</h2>
    </div>
    ${facts(view, t, lang)} ${why ? html`<p class="warning" data-why>${why}</p>` : ''}
    <ul class="actions options">
      <li>
        <a class="button" href="${files}/ob3.json" download>${t('downloadOb3')}</a>
        <span class="hint">${t('files.helpOb3')}</span>
      </li>
      <li>
        <a class="button" href="${files}/elm.jsonld" download
          >${view.sealedBy ? t('seal.europassFile') : t('downloadElm')}</a
        >
        ${sealNote(view, t)}
      </li>
      <li>
        <a class="button" href="${files}/certificate.pdf?lang=${lang}" download>${t('downloadPdf')}</a>
        <span class="hint">${t('files.helpPdf')}</span>
      </li>
      <li>
        ${view.imageIsPng ? html`<a class="button" href="${files}/badge.png" download>${t('downloadBadgePng')}</a>` : ''}
        <a class="button" href="${files}/badge.svg" download>${t('downloadBadgeSvg')}</a>
        <span class="hint">${t('files.helpBadge')}</span>
      </li>
      ${
        walletOffer
          ? html`<li>
                <a class="button" href="${walletOffer('eu')}" data-wallet-offer="eu">${t('wallet.addEu')}</a>
                <span class="hint">${t('wallet.helpEu')}</span>
              </li>
              <li>
                <a class="button" href="${walletOffer('badge')}" data-wallet-offer="badge"
                  >${t('wallet.addOpenBadge')}</a
                >
                <span class="hint">${t('wallet.helpBadge')}</span>
              </li>`
          : ''
      }
      <li>
        <a class="button" href="${linkedInUrl(view, page)}" target="_blank" rel="noopener noreferrer"
          >${t('addToLinkedIn')}</a
        >
      </li>
    </ul>
    <div class="share">
      <label for="${shareId}">${t('shareLink')}</label>
      <input id="${shareId}" type="url" readonly value="${page}" />
      <button type="button" class="copy" data-copy="${shareId}" data-done="${t('copied')}">
        ${t('copy')}
      </button>
      <a href="${page}">${t('openVerification')}</a>
    </div>
  </article>`;
}
