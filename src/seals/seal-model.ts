import { Schema, model } from 'mongoose';

/**
 * An institution's eSeal: its certificate chain and private key, as a trust service provider issued them (or a
 * self-signed test seal). One is active; importing another retires it, and retired seals stay listed (the
 * credentials they sealed carry their own certificate, so they keep verifying). The private key is stored only
 * encrypted under the key-encryption key, bound to this seal's id.
 */
const sealSchema = new Schema(
  {
    _id: { type: String, required: true }, // `<institution>:<fingerprint>`: one record per certificate
    institutionId: { type: String, required: true, index: true },
    /** PEM certificates, the sealing certificate first, then the chain towards its CA. */
    certificates: { type: [String], required: true },
    fingerprint: { type: String, required: true },
    subject: { type: String, required: true },
    issuer: { type: String, required: true },
    validFrom: { type: Date, required: true },
    validTo: { type: Date, required: true },
    qualified: { type: Boolean, required: true },
    /** Made by `credbridge seal test`: self-signed, not qualified, labelled so on every screen. */
    test: { type: Boolean, required: true, default: false },
    sealedPrivateKey: { type: String, required: true },
    status: { type: String, required: true, enum: ['active', 'retired'] },
    createdAt: { type: Date, required: true },
    retiredAt: { type: Date },
    /** Reported compromised (`credbridge seal revoke`): seals not proven older than this no longer vouch. */
    compromisedAt: { type: Date },
  },
  { versionKey: false, collection: 'seals' },
);

export const SealCertificate = model('SealCertificate', sealSchema);
