import { Schema, model } from 'mongoose';

/**
 * A W3C Bitstring Status List of one issuer and purpose, with its signed status list credential (re-signed on
 * every change). `version` makes each change a compare-and-set on this one document.
 */
const statusListSchema = new Schema(
  {
    _id: { type: String, required: true },
    issuerId: { type: String, required: true },
    purpose: { type: String, required: true, enum: ['revocation', 'suspension'] },
    length: { type: Number, required: true },
    open: { type: Boolean, required: true, default: true }, // still taking new entries
    allocated: { type: Number, required: true, default: 0 },
    encodedList: { type: String, required: true },
    credential: { type: Schema.Types.Mixed, required: true },
    version: { type: Number, required: true, default: 0 },
    updatedAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
statusListSchema.index({ issuerId: 1, purpose: 1, open: 1 });
export const StatusList = model('StatusList', statusListSchema);

/** One used index of a list; the unique index makes random assignment collision-safe without transactions. */
const statusIndexSchema = new Schema(
  {
    listId: { type: String, required: true },
    index: { type: Number, required: true },
    credentialId: { type: String, required: true },
  },
  { versionKey: false },
);
statusIndexSchema.index({ listId: 1, index: 1 }, { unique: true });
export const StatusIndex = model('StatusIndex', statusIndexSchema);
