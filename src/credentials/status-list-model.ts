import { Schema, model } from 'mongoose';

/**
 * A W3C Bitstring Status List of one issuer and purpose, with its signed status list credential (re-signed on
 * every change). `version` makes each change a compare-and-set on this one document.
 */
const statusListSchema = new Schema(
  {
    _id: { type: String, required: true },
    issuerId: { type: String, required: true },
    purpose: { type: String, required: true, enum: ['revocation', 'suspension', 'message'] },
    length: { type: Number, required: true },
    open: { type: Boolean, required: true, default: true }, // still taking new entries
    allocated: { type: Number, required: true, default: 0 },
    /** Keys this list's secret order of positions (never published): entries look random, blocks stay cheap. */
    seed: { type: String },
    encodedList: { type: String, required: true },
    credential: { type: Schema.Types.Mixed, required: true },
    version: { type: Number, required: true, default: 0 },
    updatedAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
statusListSchema.index({ issuerId: 1, purpose: 1, open: 1 });
export const StatusList = model('StatusList', statusListSchema);

/**
 * A reserved block of list positions: a worker takes BLOCK_SIZE positions with one insert, and the unique index
 * makes two workers' reservations collision-free on any MongoDB-compatible store, without transactions.
 */
const statusBlockSchema = new Schema(
  {
    listId: { type: String, required: true },
    block: { type: Number, required: true },
    reservedAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'status_blocks' },
);
statusBlockSchema.index({ listId: 1, block: 1 }, { unique: true });
export const StatusBlock = model('StatusBlock', statusBlockSchema);
