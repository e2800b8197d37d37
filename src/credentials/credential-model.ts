import { Schema, model } from 'mongoose';

/**
 * One award: both signed documents, where its status bits are, and who it is for (a reference, e.g. the LTI
 * user id, not the learner's name or e-mail, which live only inside the signed documents).
 */
const credentialSchema = new Schema(
  {
    _id: { type: String, required: true }, // caller-given (the issuance request id)
    issuerId: { type: String, required: true, index: true },
    templateKey: { type: String, required: true },
    templateVersion: { type: Number, required: true },
    learnerRef: { type: String, required: true, index: true },
    ob3: { type: Schema.Types.Mixed, required: true },
    elm: { type: Schema.Types.Mixed, required: true },
    status: {
      type: [
        {
          _id: false,
          purpose: { type: String, required: true, enum: ['revocation', 'suspension'] },
          listId: { type: String, required: true },
          index: { type: Number, required: true },
        },
      ],
      default: [],
    },
    issuedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

export const Credential = model('Credential', credentialSchema);
