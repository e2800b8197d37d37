import { Schema, model } from 'mongoose';
import { registerExpiring } from '../db/expiry.js';

/**
 * A credential offer (OpenID4VCI 1.0, pre-authorized code flow): one stored credential offered to the wallet of
 * the learner who asked, once, for minutes. Only hashes of the pre-authorized code and the transaction code are
 * kept. `state` moves offered -> redeemed (the code became an access token) or locked (the transaction code was
 * guessed wrong too often); each move is one atomic update, so a code is redeemed once however many race.
 */
const offerSchema = new Schema(
  {
    _id: { type: String, required: true }, // random: the last segment of credential_offer_uri
    credentialId: { type: String, required: true },
    issuerId: { type: String, required: true },
    learnerRef: { type: String, required: true },
    configurationId: { type: String, required: true },
    codeHash: { type: String, required: true, unique: true },
    txCodeHash: { type: String },
    txCodeFailures: { type: Number, required: true, default: 0 },
    state: { type: String, required: true, enum: ['offered', 'redeemed', 'locked'] },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_offers' },
);
export const WalletOffer = model('WalletOffer', offerSchema);
registerExpiring('WalletOffer');

/** An access token of the token endpoint: its hash, what it may fetch, used once. */
const tokenSchema = new Schema(
  {
    _id: { type: String, required: true }, // SHA-256 of the token
    offerId: { type: String, required: true },
    credentialId: { type: String, required: true },
    issuerId: { type: String, required: true },
    configurationId: { type: String, required: true },
    used: { type: Boolean, required: true, default: false },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_tokens' },
);
export const WalletToken = model('WalletToken', tokenSchema);
registerExpiring('WalletToken');

/** A c_nonce of the nonce endpoint: valid for minutes, consumed by the key proof that carries it. */
const nonceSchema = new Schema(
  {
    _id: { type: String, required: true }, // SHA-256 of the nonce
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'wallet_nonces' },
);
export const WalletNonce = model('WalletNonce', nonceSchema);
registerExpiring('WalletNonce');
