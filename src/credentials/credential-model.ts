import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * One award: both signed documents, where its status bits are, and who it is for (a reference, e.g. the LTI
 * user id, not the learner's name or e-mail, which live only inside the signed documents).
 *
 * `signed` holds the pair exactly as signed, as gzip-compressed JSON (`{"ob3": ..., "elm": ...}`): nothing
 * queries inside the documents, downloads are the issued bytes, and a 38 KB pair is stored as about 7 KB, which
 * FerretDB also writes about eight times cheaper than the nested documents (docs/performance.md). Credentials
 * stored before that keep their documents in `ob3` and `elm`; src/credentials/credential-store.ts reads both.
 */
const credentialSchema = new Schema(
  {
    _id: { type: String, required: true }, // caller-given (the issuance request id)
    issuerId: { type: String, required: true, index: true },
    templateKey: { type: String, required: true },
    templateVersion: { type: Number, required: true },
    learnerRef: { type: String, required: true, index: true },
    /** The documents' primary language (the learner's, when the template has it); absent on older credentials. */
    language: { type: String },
    signed: { type: Buffer },
    /** The seal of the ELM document, when it is sealed (JAdES) rather than signed with Data Integrity. */
    sealedBy: {
      type: new Schema({ holder: String, fingerprint: String, test: Boolean }, { _id: false }),
      required: false,
    },
    ob3: { type: Schema.Types.Mixed },
    elm: { type: Schema.Types.Mixed },
    status: {
      type: [
        {
          _id: false,
          purpose: { type: String, required: true, enum: ['revocation', 'suspension', 'message'] },
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

export type CredentialRecord = InferSchemaType<typeof credentialSchema> & { _id: string };

export const Credential = model('Credential', credentialSchema);
