import { z } from 'zod';
import { textIn } from '../i18n/languages.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';
import {
  createIssuer,
  findDefaultIssuer,
  institutionIssuers,
  type IssuerRecord,
} from '../issuers/issuers.js';
import { organisationSchema } from '../templates/schema.js';
import { Institution, type InstitutionData } from './institution-model.js';

export const INSTITUTION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

export const institutionIdSchema = z
  .string()
  .regex(INSTITUTION_ID, '2-63 lowercase letters, digits or "-", starting with a letter or digit');

export const institutionSettingsSchema = z.strictObject({
  ltiAdminsAreAdmins: z.boolean().optional(),
  manualAwardApproval: z.boolean().optional(),
});

/** What an operator gives to create an institution (CLI, console and admin API alike). */
export const institutionInputSchema = z.strictObject({
  id: institutionIdSchema,
  /** The awarding body as credentials name it: legal name (multilingual), country, homepage. */
  profile: organisationSchema,
  /** The issuer answers at the installation's root did:web (`/.well-known/did.json`); one institution at most. */
  rootDid: z.boolean().default(false),
  settings: institutionSettingsSchema.optional(),
});
export type InstitutionInput = z.input<typeof institutionInputSchema>;

export interface InstitutionRecord {
  _id: string;
  name: string;
  settings: { ltiAdminsAreAdmins: boolean; manualAwardApproval: boolean };
  createdAt: Date;
}

export class InstitutionConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstitutionConflictError';
  }
}

function record(doc: InstitutionData & { _id: string }): InstitutionRecord {
  return {
    _id: doc._id,
    name: doc.name,
    settings: {
      ltiAdminsAreAdmins: Boolean(doc.settings?.ltiAdminsAreAdmins),
      manualAwardApproval: Boolean(doc.settings?.manualAwardApproval),
    },
    createdAt: doc.createdAt,
  };
}

/**
 * Creates an institution and its issuer (did:web with a first Ed25519 key, sealed under the KEK). Two
 * documents without a transaction: the institution first, so a crash in between leaves an institution whose
 * issuer a second run creates, never an issuer that nobody owns.
 */
export async function createInstitution(
  input: InstitutionInput,
  options: { publicUrl: string; kek: Buffer },
): Promise<{ institution: InstitutionRecord; issuer: IssuerRecord }> {
  const data = institutionInputSchema.parse(input);
  if (data.rootDid) {
    const root = await findDefaultIssuer();
    if (root && root.institutionId !== data.id)
      throw new InstitutionConflictError(
        `rootDid: the root did:web already belongs to institution "${root.institutionId}"`,
      );
  }
  try {
    await Institution.create({
      _id: data.id,
      name: textIn(data.profile.legalName, 'en'),
      settings: {
        ltiAdminsAreAdmins: data.settings?.ltiAdminsAreAdmins ?? false,
        manualAwardApproval: data.settings?.manualAwardApproval ?? false,
      },
    });
  } catch (err) {
    if (!onlyDuplicateKeys(err)) throw err;
    if ((await institutionIssuers(data.id)).length)
      throw new InstitutionConflictError(`id: institution "${data.id}" already exists`);
  }
  let issuer: IssuerRecord;
  try {
    issuer = await createIssuer({
      id: data.id,
      institutionId: data.id,
      profile: data.profile,
      publicUrl: options.publicUrl,
      kek: options.kek,
      isDefault: data.rootDid,
    });
  } catch (err) {
    if (onlyDuplicateKeys(err))
      throw new InstitutionConflictError(`id: an issuer "${data.id}" already exists`);
    throw err;
  }
  return { institution: (await findInstitution(data.id))!, issuer };
}

export async function findInstitution(id: string): Promise<InstitutionRecord | undefined> {
  if (!INSTITUTION_ID.test(id)) return undefined;
  const doc = await Institution.findById(id).lean();
  return doc ? record(doc as InstitutionData & { _id: string }) : undefined;
}

/** Whether the institution has awards made outside the LMS's grades (manual awards, imported results) approved. */
export async function awardsNeedApproval(institutionId: string): Promise<boolean> {
  return Boolean((await findInstitution(institutionId))?.settings.manualAwardApproval);
}

export async function listInstitutions(): Promise<InstitutionRecord[]> {
  const docs = await Institution.find().sort({ _id: 1 }).lean();
  return docs.map((d) => record(d as InstitutionData & { _id: string }));
}

export async function updateInstitutionSettings(
  id: string,
  input: unknown,
): Promise<InstitutionRecord | undefined> {
  const data = institutionSettingsSchema.parse(input);
  const set = Object.fromEntries(Object.entries(data).map(([k, v]) => [`settings.${k}`, v]));
  const doc = await Institution.findOneAndUpdate(
    { _id: id },
    { $set: set },
    { returnDocument: 'after' },
  ).lean();
  return doc ? record(doc as InstitutionData & { _id: string }) : undefined;
}
