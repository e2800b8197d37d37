import { Schema, model } from 'mongoose';
import { z } from 'zod';
import { decryptSecret, encryptSecret } from '../security/encryption.js';

/**
 * How the tool reaches one platform's own API (Moodle Web Services or Canvas REST): base URL and token, one
 * per LTI platform. The token is stored AES-256-GCM under KEY_ENCRYPTION_KEY, bound to the platform, and never
 * leaves the server: views report only whether one is set.
 */
const lmsConnectionSchema = new Schema(
  {
    platformId: { type: String, required: true, unique: true },
    kind: { type: String, required: true, enum: ['moodle', 'canvas'] },
    baseUrl: { type: String, required: true },
    tokenEncrypted: { type: String, required: true },
    lastTest: {
      at: { type: Date },
      ok: { type: Boolean },
      missing: { type: [String], default: undefined },
    },
  },
  { timestamps: true, versionKey: false, collection: 'lms_connections' },
);
export const LmsConnection = model('LmsConnection', lmsConnectionSchema);
export type LmsConnectionDoc = InstanceType<typeof LmsConnection>;

export const lmsConnectionInput = z.strictObject({
  kind: z.enum(['moodle', 'canvas']),
  /** The site root: Moodle's wwwroot (without /webservice/...), Canvas's https://school.instructure.com. */
  baseUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((u) => !/[?#]/.test(u), 'must not carry a query or fragment')
    .transform((u) => u.replace(/\/+$/, '')),
  token: z.string().trim().min(8, 'at least 8 characters').max(512).regex(/^\S+$/, 'must not contain spaces'),
});
export type LmsConnectionInput = z.infer<typeof lmsConnectionInput>;

const tokenContext = (platformId: string) => `lms-connection:${platformId}`;

export async function saveLmsConnection(
  key: Buffer,
  platformId: string,
  input: LmsConnectionInput,
): Promise<LmsConnectionDoc> {
  return LmsConnection.findOneAndUpdate(
    { platformId },
    {
      $set: {
        kind: input.kind,
        baseUrl: input.baseUrl,
        tokenEncrypted: encryptSecret(key, input.token, tokenContext(platformId)),
      },
      $unset: { lastTest: 1 },
    },
    { upsert: true, returnDocument: 'after' },
  ).orFail();
}

export function connectionToken(key: Buffer, doc: LmsConnectionDoc): string {
  return decryptSecret(key, doc.tokenEncrypted, tokenContext(doc.platformId));
}

/** What the admin API shows: never the token. */
export function lmsConnectionView(doc: LmsConnectionDoc) {
  return {
    platformId: doc.platformId,
    kind: doc.kind,
    baseUrl: doc.baseUrl,
    tokenSet: true,
    updatedAt: doc.get('updatedAt') as Date | undefined,
    lastTest: doc.lastTest?.at
      ? { at: doc.lastTest.at, ok: doc.lastTest.ok, missing: doc.lastTest.missing ?? [] }
      : null,
  };
}
