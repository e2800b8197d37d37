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
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_offers' },
);
export const WalletOffer = model('WalletOffer', offerSchema);
registerExpiring('WalletOffer');

/** An access token of the token endpoint: its hash and what it may fetch (once: its `use:` claim). */
const tokenSchema = new Schema(
  {
    _id: { type: String, required: true }, // SHA-256 of the token
    offerId: { type: String, required: true },
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
 * fetched its credential), `tx:<offer>:<n>` (the n-th transaction-code attempt), `nonce:<hash>` (a c_nonce used).
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
