import { createHash, createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { translator } from '../i18n/catalogs.js';
import { languageOf, type Language } from '../i18n/languages.js';
import { claimOnce } from './claims.js';
import { WalletOffer, WalletToken } from './wallet-models.js';

/** The grant type of the pre-authorized code flow (OpenID4VCI 1.0, 3.5). */
export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
/** How long an offer may be taken up, and an access token used: minutes, not days (a QR code on a screen). */
export const OFFER_TTL_MS = 10 * 60_000;
export const TOKEN_TTL_MS = 5 * 60_000;
/** Transaction-code attempts an offer takes, right or wrong; after five wrong ones it is locked. */
export const MAX_TX_CODE_ATTEMPTS = 5;
export const TX_CODE_LENGTH = 6;

export const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * The pre-authorized code of an offer, derived from its id with a key derived from the KEK: the offer document
 * (fetched by the wallet at credential_offer_uri) carries it, and the database keeps only its hash.
 */
function codeOf(codeKey: Buffer, offerId: string): string {
  return createHmac('sha256', codeKey).update(offerId).digest('base64url');
}

/** The transaction code as stored: keyed, so that a copy of the database cannot try the million codes. */
const txCodeMac = (codeKey: Buffer, preAuthorizedCode: string, txCode: string) =>
  createHmac('sha256', codeKey).update(`tx:${preAuthorizedCode}:${txCode}`).digest('base64url');

/** The key the codes are derived with (HKDF of the KEK, for this purpose only). */
export function offerCodeKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'credbridge wallet offer codes', 32));
}

/** A refusal of the token or credential endpoint, with the OAuth / OpenID4VCI error code it answers with. */
export class WalletError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'WalletError';
  }
}

export interface NewOffer {
  offerId: string;
  preAuthorizedCode: string;
  /** Shown to the learner beside the QR code, typed into the wallet: a second factor for the offer. */
  txCode?: string;
  expiresAt: Date;
}

/** Offers one stored credential to the wallet of the learner who owns it. */
export async function createOffer(
  codeKey: Buffer,
  offer: {
    credentialId: string;
    issuerId: string;
    learnerRef: string;
    configurationId: string;
    txCode: boolean;
    locale?: Language;
  },
  now = new Date(),
): Promise<NewOffer> {
  const offerId = randomBytes(18).toString('base64url');
  const preAuthorizedCode = codeOf(codeKey, offerId);
  const txCode = offer.txCode
    ? String(randomInt(0, 10 ** TX_CODE_LENGTH)).padStart(TX_CODE_LENGTH, '0')
    : undefined;
  const expiresAt = new Date(now.getTime() + OFFER_TTL_MS);
  await WalletOffer.create({
    _id: hash(offerId),
    credentialId: offer.credentialId,
    issuerId: offer.issuerId,
    learnerRef: offer.learnerRef,
    configurationId: offer.configurationId,
    codeHash: hash(preAuthorizedCode),
    ...(txCode ? { txCodeHash: txCodeMac(codeKey, preAuthorizedCode, txCode) } : {}),
    state: 'offered',
    ...(offer.locale ? { locale: offer.locale } : {}),
    createdAt: now,
    expiresAt,
  });
  return { offerId, preAuthorizedCode, ...(txCode ? { txCode } : {}), expiresAt };
}

/** The Credential Offer object (OpenID4VCI 1.0, 4.1.1) of a live offer, for its credential_offer_uri. */
export async function offerDocument(
  codeKey: Buffer,
  offerId: string,
  credentialIssuer: (issuerId: string) => string,
  now = new Date(),
): Promise<Record<string, unknown> | undefined> {
  const offer = await WalletOffer.findOne({
    _id: hash(offerId),
    state: 'offered',
    expiresAt: { $gt: now },
  }).lean();
  if (!offer) return undefined;
  return {
    credential_issuer: credentialIssuer(offer.issuerId),
    credential_configuration_ids: [offer.configurationId],
    grants: {
      [PRE_AUTHORIZED_GRANT]: {
        'pre-authorized_code': codeOf(codeKey, offerId),
        ...(offer.txCodeHash
          ? {
              tx_code: {
                input_mode: 'numeric',
                length: TX_CODE_LENGTH,
                description: translator(languageOf(offer.locale) ?? 'en')('wallet.txCodeDescription'),
              },
            }
          : {}),
      },
    },
  };
}

/**
 * The token endpoint's exchange: a live offer's pre-authorized code (and its transaction code, when it has one)
 * for an access token to its one credential. Each transaction-code attempt is claimed before it is judged, so
 * however many requests race, an offer takes five attempts; the code is redeemed once, by one claim.
 */
export async function redeemCode(
  codeKey: Buffer,
  code: string,
  txCode: string | undefined,
  now = new Date(),
): Promise<IssuedToken> {
  const offer = await WalletOffer.findOne({ codeHash: hash(code) }).lean();
  if (!offer || offer.expiresAt <= now)
    throw new WalletError('invalid_grant', 'the pre-authorized code is unknown or has expired');
  if (offer.state !== 'offered')
    throw new WalletError(
      'invalid_grant',
      `the offer is ${offer.state === 'locked' ? 'locked after too many wrong transaction codes' : 'already redeemed'}`,
    );
  if (offer.txCodeHash) {
    if (!txCode)
      throw new WalletError(
        'invalid_request',
        'tx_code: this offer needs the transaction code shown to the learner',
      );
    let attempt = 0;
    for (let n = 1; n <= MAX_TX_CODE_ATTEMPTS && !attempt; n++)
      if (await claimOnce(`tx:${offer._id}:${n}`, offer.expiresAt)) attempt = n;
    if (!attempt) {
      await WalletOffer.updateOne({ _id: offer._id, state: 'offered' }, { $set: { state: 'locked' } });
      throw new WalletError('invalid_grant', 'the offer is locked after too many wrong transaction codes');
    }
    if (txCodeMac(codeKey, code, txCode) !== offer.txCodeHash) {
      if (attempt === MAX_TX_CODE_ATTEMPTS)
        await WalletOffer.updateOne({ _id: offer._id, state: 'offered' }, { $set: { state: 'locked' } });
      throw new WalletError('invalid_grant', 'tx_code: the transaction code is wrong');
    }
  }
  if (!(await claimOnce(`redeem:${offer._id}`, offer.expiresAt)))
    throw new WalletError('invalid_grant', 'the offer is already redeemed');
  await WalletOffer.updateOne({ _id: offer._id }, { $set: { state: 'redeemed' } });
  return issueAccessToken(offer._id, offer, now);
}

export interface TokenGrant {
  credentialId: string;
  issuerId: string;
  configurationId: string;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  credentialId: string;
  configurationId: string;
}

/** An access token for one credential, in one configuration, once; `grantId` names the offer or authorization. */
export async function issueAccessToken(
  grantId: string,
  grant: TokenGrant,
  now = new Date(),
): Promise<IssuedToken> {
  const accessToken = randomBytes(32).toString('base64url');
  await WalletToken.create({
    _id: hash(accessToken),
    grantId,
    credentialId: grant.credentialId,
    issuerId: grant.issuerId,
    configurationId: grant.configurationId,
    expiresAt: new Date(now.getTime() + TOKEN_TTL_MS),
  });
  return {
    accessToken,
    expiresIn: TOKEN_TTL_MS / 1000,
    credentialId: grant.credentialId,
    configurationId: grant.configurationId,
  };
}

/** What an access token grants, used once (a credential per offer, by one claim); invalid_token otherwise. */
export async function useAccessToken(accessToken: string, now = new Date()): Promise<TokenGrant> {
  const token = await WalletToken.findOne({ _id: hash(accessToken), expiresAt: { $gt: now } }).lean();
  if (!token || !(await claimOnce(`use:${token._id}`, token.expiresAt)))
    throw new WalletError('invalid_token', 'the access token is unknown, expired or used', 401);
  return {
    credentialId: token.credentialId,
    issuerId: token.issuerId,
    configurationId: token.configurationId,
  };
}
