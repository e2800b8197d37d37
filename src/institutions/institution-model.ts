import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * An institution: the tenant of an installation. It owns its issuers (did:web and keys), templates, LMS
 * platforms, LMS API connections and console users; every record below it carries its id, and every query of
 * a console page, an API route or a course filters on it, so institutions never see each other's records.
 */
const institutionSchema = new Schema(
  {
    _id: { type: String, required: true }, // slug, also its first issuer's id
    name: { type: String, required: true },
    settings: {
      /** An LTI launch with an administrator role opens this institution's console (never the operator's). */
      ltiAdminsAreAdmins: { type: Boolean, default: false },
      /** Instructors' manual awards (outside the rule) wait for an administrator's approval before signing. */
      manualAwardApproval: { type: Boolean, default: false },
    },
    /** Its colours and logo (a checked data: URI), for the badges made from them and the certificate. */
    branding: {
      color: { type: String },
      accent: { type: String },
      logo: { type: String },
    },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'institutions' },
);

export type InstitutionData = InferSchemaType<typeof institutionSchema>;
export const Institution = model('Institution', institutionSchema);
