import { Schema, model } from 'mongoose';
import { registerExpiring } from '../db/expiry.js';

/**
 * A credential offer (OpenID4VCI 1.0, pre-authorized code flow): one stored credential offered to the wallet of
 * the learner who asked, once, for minutes. Only hashes of the pre-authorized code and the transaction code are
 * kept, and of the offer's id. Redeeming and counting transaction-code attempts are claims (WalletClaim): a code
 * is redeemed once, and an offer takes five attempts, however many requests race.
 */
const offerSchema = new Schema(
  {
    _id: { type: String, required: true }, // SHA-256 of the offer id (the last segment of credential_offer_uri)
    credentialId: { type: String, required: true },
    issuerId: { type: String, required: true },
    learnerRef: { type: String, required: true },
    configurationId: { type: String, required: true },
    codeHash: { type: String, required: true, unique: true },
    /** HMAC of the transaction code under a key derived from the KEK: six digits, so no plain hash. */
    txCodeHash: { type: String },
    state: { type: String, required: true, enum: ['offered', 'redeemed', 'locked'] }, // for the pages; claims decide
    /** The language of the learner's page: the wallet shows the transaction code's description in it. */
    locale: { type: String },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_offers' },
);
export const WalletOffer = model('WalletOffer', offerSchema);
registerExpiring('WalletOffer');

/** An access token of the token endpoint (either flow): its hash and what it may fetch (once: its `use:` claim). */
const tokenSchema = new Schema(
  {
    _id: { type: String, required: true }, // SHA-256 of the token
    grantId: { type: String, required: true }, // the offer's or the authorization's id
    credentialId: { type: String, required: true },
    issuerId: { type: String, required: true },
    configurationId: { type: String, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_tokens' },
);
export const WalletToken = model('WalletToken', tokenSchema);
registerExpiring('WalletToken');

/**
 * Claims that must be taken once, as unique inserts (atomic on every MongoDB-compatible store, where a
 * conditional update is not on all of them): `redeem:<offer>` (its code became a token), `use:<token>` (the token
 * fetched its credential), `tx:<offer>:<n>` (the n-th transaction-code attempt), `nonce:<hash>` (a c_nonce used),
 * `answer:<request>` (the learner answered an authorization request), `code:<request>` (its code became a token),
 * `exchange:<exchange>` (a VC API exchange gave its credential).
 */
const claimSchema = new Schema(
  {
    _id: { type: String, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_claims' },
);
export const WalletClaim = model('WalletClaim', claimSchema);
registerExpiring('WalletClaim');

/**
 * A pushed authorization request (RFC 9126) of the authorization code flow: what a wallet asked for, and, once the
 * learner chose one of their credentials on the consent page, the hash of the authorization code that grants it.
 * Its id is the SHA-256 of the request_uri's random part. The code is redeemed once (a `code:` claim), with PKCE.
 */
const authorizationSchema = new Schema(
  {
    _id: { type: String, required: true },
    clientId: { type: String, required: true },
    redirectUri: { type: String, required: true },
    codeChallenge: { type: String, required: true }, // S256 only
    state: { type: String },
    configurationId: { type: String, required: true },
    /** The credential issuer the wallet named (authorization_details locations, or resource), if it named one. */
    issuerId: { type: String },
    status: { type: String, required: true, enum: ['pending', 'granted', 'denied'] },
    codeHash: { type: String, index: true, sparse: true },
    credentialId: { type: String },
    learnerRef: { type: String },
    grantedIssuerId: { type: String },
    codeExpiresAt: { type: Date },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_authorizations' },
);
export const WalletAuthorization = model('WalletAuthorization', authorizationSchema);
registerExpiring('WalletAuthorization');

/**
 * A VC API exchange (the Learner Credential Wallet's way): one stored credential for the wallet that proves a DID
 * with the exchange's challenge, once (an `exchange:` claim), for minutes. Its id is the SHA-256 of the
 * exchange id in the interaction URL.
 */
const exchangeSchema = new Schema(
  {
    _id: { type: String, required: true },
    credentialId: { type: String, required: true },
    issuerId: { type: String, required: true },
    learnerRef: { type: String, required: true },
    challenge: { type: String, required: true },
    state: { type: String, required: true, enum: ['pending', 'complete'] },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_exchanges' },
);
export const WalletExchange = model('WalletExchange', exchangeSchema);
registerExpiring('WalletExchange');
