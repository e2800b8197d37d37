import { Schema, model } from 'mongoose';

/**
 * An issuer: the awarding body's public profile and its Ed25519 signing keys. Keys are embedded so that a
 * rotation is one atomic document update (FerretDB has no multi-document transactions). Private keys are
 * stored only sealed with the key-encryption key.
 */
const keySchema = new Schema(
  {
    keyId: { type: String, required: true }, // fragment of the verification method id, e.g. "key-1"
    publicKeyMultibase: { type: String, required: true },
    /** AES-256-GCM under KEY_ENCRYPTION_KEY, bound to the verification method id (src/security/encryption.ts). */
    sealedPrivateKey: { type: String, required: true },
    status: { type: String, required: true, enum: ['active', 'retired'] },
    createdAt: { type: Date, required: true },
    retiredAt: { type: Date },
  },
  { _id: false },
);

const issuerSchema = new Schema(
  {
    _id: { type: String, required: true }, // slug, also the did:web path segment
    /** The institution that owns this issuer; only its courses sign with it. */
    institutionId: { type: String, required: true, index: true },
    did: { type: String, required: true, unique: true },
    profile: { type: Schema.Types.Mixed, required: true }, // an Organisation (src/templates/schema.ts)
    isDefault: { type: Boolean, default: false },
    keys: { type: [keySchema], default: [] },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);

export const Issuer = model('Issuer', issuerSchema);
