import { Schema, model } from 'mongoose';

/**
 * Where the status entry of a credential issued through the VC API lives (that credential is not stored: only
 * the caller keeps it), so `POST /credentials/status` can revoke or suspend it by the credential's id.
 */
const apiStatusSchema = new Schema(
  {
    _id: { type: String, required: true }, // the credential's id
    issuerId: { type: String, required: true },
    purpose: { type: String, required: true },
    listId: { type: String, required: true },
    index: { type: Number, required: true },
    issuedAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'api_status_entries' },
);
export const ApiStatusEntry = model('ApiStatusEntry', apiStatusSchema);
