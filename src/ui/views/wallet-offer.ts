import type { Translate } from '../../i18n/catalogs.js';
import { html, type Html } from '../../render/html.js';

export interface OfferView {
  kind: 'eu' | 'badge';
  /** openid-credential-offer:// with the offer's credential_offer_uri, and its QR code (a data: URL). */
  offerUri: string;
  offerQr: string;
  txCode?: string;
  /** For the Open Badge: the VC API exchange's interaction URL (QR) and the Learner Credential Wallet's app link. */
  exchange?: { qr: string; appLink: string };
  back: string;
}

/** The page that hands one credential to a wallet: QR codes to scan, links that open the wallet on a phone. */
export function walletOfferBody(view: OfferView, t: Translate): Html {
  const eu = view.kind === 'eu';
  return html`<section class="card" aria-labelledby="offer-h">
      <h2 id="offer-h">${t(eu ? 'wallet.offerTitleEu' : 'wallet.offerTitle')}</h2>
      <p>${t(eu ? 'wallet.offerHelpEu' : 'wallet.offerHelp')}</p>
      <img class="qr" src="${view.offerQr}" width="280" height="280" alt="${t('wallet.qrAlt')}" />
      <p><a class="button" href="${view.offerUri}">${t('wallet.openInWallet')}</a></p>
      ${
        view.txCode
          ? html`<p>
              ${t('wallet.txCodeHelp')} <strong class="tx-code" data-tx-code>${view.txCode}</strong>
            </p>`
          : ''
      }
      <p class="hint">${t('wallet.expires')}</p>
    </section>
    ${
      view.exchange
        ? html`<section class="card" aria-labelledby="lcw-h" data-vc-api>
            <h2 id="lcw-h">${t('wallet.lcwTitle')}</h2>
            <p>${t('wallet.lcwHelp')}</p>
            <img
              class="qr"
              src="${view.exchange.qr}"
              width="280"
              height="280"
              alt="${t('wallet.lcwQrAlt')}"
            />
            <p><a class="button" href="${view.exchange.appLink}" data-lcw-link>${t('wallet.lcwOpen')}</a></p>
          </section>`
        : ''
    }
    <p><a href="${view.back}">${t('wallet.back')}</a></p>`;
}
