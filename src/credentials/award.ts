import { z } from 'zod';
import type { Organisation, TemplateData } from '../templates/schema.js';
import type { StatusEntryRef } from './status-entry.js';

/** Element 1: who the credential is about. Only the name is required; the rest is shown only where given. */
export const learnerSchema = z.strictObject({
  id: z
    .string()
    .regex(/^(did:[a-z0-9]+:|urn:|https?:\/\/)\S+$/, 'problem.awardId')
    .max(500)
    .optional(),
  fullName: z.string().trim().min(1, 'the learner’s name is required (mandatory element 1)').max(300),
  givenName: z.string().trim().min(1).max(200).optional(),
  familyName: z.string().trim().min(1).max(200).optional(),
  email: z.email().optional(),
  dateOfBirth: z.iso.date().optional(),
  nationalId: z
    .strictObject({ country: z.string().regex(/^[A-Z]{2}$/), value: z.string().min(1).max(100) })
    .optional(),
});
export type LearnerInput = z.infer<typeof learnerSchema>;

/** What the learning platform reports about the passed assessment. */
export const evidenceSchema = z.strictObject({
  grade: z.string().trim().min(1).max(100).optional(),
  assessedAt: z.iso.datetime({ offset: true }).optional(),
  activityStart: z.iso.datetime({ offset: true }).optional(),
  activityEnd: z.iso.datetime({ offset: true }).optional(),
  courseTitle: z.string().trim().min(1).max(300).optional(),
  narrative: z.string().trim().min(1).max(2000).optional(),
});
export type EvidenceInput = z.infer<typeof evidenceSchema>;

/** The signing organisation as credentials name it: its DID and its public profile. */
export interface IssuerIdentity {
  did: string;
  profile: Organisation;
}

/** Everything both documents of one award are built from. */
export interface AwardInput {
  template: TemplateData;
  issuer: IssuerIdentity;
  learner: LearnerInput;
  evidence?: EvidenceInput;
  /** Caller-chosen id (the issuance request id); the documents' ids derive from it. */
  credentialId: string;
  issuedAt?: Date;
  /** Base URL the documents are published under; absent for throwaway samples (urn ids then). */
  publicUrl?: string;
  /** The learner's locale from the LMS (e.g. 'pt_br'): the credential's primary language when the template has it. */
  locale?: string;
  /** The credential's one status entry (revocation and suspension); absent for throwaway samples. */
  status?: StatusEntryRef;
}

export function documentId(input: AwardInput, format: 'ob3' | 'elm'): string {
  const id = encodeURIComponent(input.credentialId);
  return input.publicUrl
    ? `${input.publicUrl.replace(/\/$/, '')}/credentials/${id}/${format}`
    : `urn:uuid:${format}:${id}`;
}

export function validUntil(issued: Date, template: TemplateData): Date | undefined {
  if (!template.validity) return undefined;
  const until = new Date(issued);
  until.setUTCMonth(until.getUTCMonth() + template.validity.months);
  return until;
}

/** xsd:dateTime without milliseconds, as credentials conventionally carry it. */
export function dateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Drops undefined values and empty arrays, so builders can list optional fields plainly. */
export function clean<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clean).filter((v) => v !== undefined) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (Array.isArray(v) && v.length === 0) continue;
      out[k] = clean(v);
    }
    return out as T;
  }
  return value;
}
