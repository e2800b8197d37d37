import type { SigningIssuer } from '../issuers/issuers.js';
import type { TemplateData } from '../templates/schema.js';
import type { EvidenceInput, LearnerInput } from './award.js';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Binary } from 'mongodb';
import { Credential, type CredentialRecord } from './credential-model.js';
import type { DocumentLoader } from './document-loader.js';
import { issueCredentialPair, type ElmSealer, type SignedPair } from './issue-pair.js';
import { allocateStatusEntry, changeEntry, readStoredEntry } from './status-lists.js';
import { REVOKED_BIT, STATE_PURPOSE, SUSPENDED_BIT, bitOf, type BitPurpose } from './status-entry.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';
import { credentialLanguages } from './languages.js';

export interface StoreOptions {
  template: TemplateData & { version: number };
  issuer: SigningIssuer;
  learner: LearnerInput;
  learnerRef: string;
  evidence?: EvidenceInput;
  /** The learner's LMS locale: the documents' primary language when the template has it. */
  locale?: string;
  credentialId: string;
  /** Nothing can be stored under this id yet (a first attempt): skip the read that finds a stored pair. */
  firstAttempt?: boolean;
  publicUrl: string;
  documentLoader: DocumentLoader;
  /** The institution's seal, when it has one: the ELM is sealed (JAdES) instead of signed with Data Integrity. */
  sealElm?: ElmSealer;
}

/**
 * Issues both documents with their status entry (one, for revocation and suspension) and stores them under
 * `credentialId`. Calling it
 * again with the same id returns the stored pair, so a retried job never issues twice.
 */
export async function issueAndStoreCredential(options: StoreOptions): Promise<SignedPair> {
  const existing = options.firstAttempt ? null : await findCredential(options.credentialId);
  if (existing) return { ob3: existing.ob3, elm: existing.elm };
  const { issuer, publicUrl, documentLoader } = options;
  const status = await allocateStatusEntry(issuer, publicUrl, documentLoader);
  const issuedAt = new Date();
  const pair = await issueCredentialPair({
    template: options.template,
    issuer: { did: issuer.did, profile: issuer.profile },
    learner: options.learner,
    evidence: options.evidence,
    locale: options.locale,
    credentialId: options.credentialId,
    issuedAt,
    publicUrl,
    status,
    key: issuer.key,
    documentLoader,
    ...(options.sealElm ? { sealElm: options.sealElm } : {}),
  });
  const record = {
    _id: options.credentialId,
    issuerId: issuer.id,
    templateKey: options.template.key,
    templateVersion: options.template.version,
    learnerRef: options.learnerRef,
    language: credentialLanguages(options.template, options.locale).primary,
    signed: await packPair(pair),
    ...(options.sealElm ? { sealedBy: options.sealElm.by } : {}),
    status: [
      {
        purpose: status.statusPurpose,
        listId: status.statusListCredential.split('/').pop()!,
        index: status.statusListIndex,
      },
    ],
    issuedAt,
  };
  try {
    // Lean: the record is built here with its final types; mongoose casting adds nothing on this path.
    await Credential.insertMany([record], { lean: true });
  } catch (err) {
    // Another attempt stored this credential while this one signed (a claim taken over from a worker that was
    // only slow): the first write is the credential, this pair is dropped.
    if (!onlyDuplicateKeys(err)) throw err;
    const first = await findCredential(options.credentialId);
    if (!first) throw err;
    return { ob3: first.ob3, elm: first.elm };
  }
  return pair;
}

/** Where a credential's status lives: the list and index of its entry, and the list's purpose. */
export interface StatusEntryLocation {
  purpose: string;
  listId: string;
  index: number;
}

/**
 * Sets or clears revocation (permanent by convention) or suspension in a credential's status entries: the one
 * two-bit entry of credentials issued now, or the 1-bit entry of that purpose of older ones.
 */
export async function changeStatus(
  entries: StatusEntryLocation[],
  purpose: BitPurpose,
  value: boolean,
  issuer: SigningIssuer,
  publicUrl: string,
  documentLoader: DocumentLoader,
): Promise<void> {
  const state = entries.find((s) => s.purpose === STATE_PURPOSE);
  if (state) {
    const bit = bitOf(purpose);
    const change = (current: number) => (value ? current | bit : current & ~bit);
    await changeEntry(issuer, state.listId, state.index, change, publicUrl, documentLoader);
    return;
  }
  const entry = entries.find((s) => s.purpose === purpose);
  if (!entry) throw new Error(`credential has no ${purpose} entry`);
  const set = value ? 1 : 0;
  await changeEntry(issuer, entry.listId, entry.index, () => set, publicUrl, documentLoader);
}

/** Whether a stored credential is revoked and whether suspended, read from its lists (no signature work). */
export async function storedStatus(
  entries: StatusEntryLocation[],
): Promise<{ revoked: boolean; suspended: boolean }> {
  const state = entries.find((s) => s.purpose === STATE_PURPOSE);
  if (state) {
    const value = await readStoredEntry(state.listId, state.index);
    return { revoked: (value & REVOKED_BIT) !== 0, suspended: (value & SUSPENDED_BIT) !== 0 };
  }
  const bit = async (purpose: BitPurpose) => {
    const entry = entries.find((s) => s.purpose === purpose);
    return entry ? (await readStoredEntry(entry.listId, entry.index)) === 1 : false;
  };
  const [revoked, suspended] = await Promise.all([bit('revocation'), bit('suspension')]);
  return { revoked, suspended };
}

/** Revokes or suspends/unsuspends both documents of a stored credential; false when there is no such credential. */
export async function changeCredentialStatus(
  credentialId: string,
  purpose: BitPurpose,
  value: boolean,
  issuer: SigningIssuer,
  publicUrl: string,
  documentLoader: DocumentLoader,
): Promise<boolean> {
  const credential = await Credential.findById(credentialId, { issuerId: 1, status: 1 }).lean();
  if (!credential) return false;
  if (credential.issuerId !== issuer.id) throw new Error('credential belongs to another issuer');
  await changeStatus(credential.status, purpose, value, issuer, publicUrl, documentLoader);
  return true;
}

/** A stored credential with its two signed documents readable, whichever way they were stored. */
export type StoredCredential = Omit<CredentialRecord, 'signed' | 'ob3' | 'elm'> & SignedPair;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The pair as stored: gzip-compressed JSON, compressed off the main thread (libuv's pool). */
async function packPair(pair: SignedPair): Promise<Buffer> {
  return gzipAsync(JSON.stringify({ ob3: pair.ob3, elm: pair.elm }));
}

async function unpack(record: CredentialRecord): Promise<StoredCredential> {
  const { signed, ob3, elm, ...rest } = record;
  if (signed) {
    // Lean reads give the driver's Binary, not a Buffer.
    const bytes = Buffer.isBuffer(signed) ? signed : Buffer.from((signed as unknown as Binary).buffer);
    return { ...rest, ...(JSON.parse((await gunzipAsync(bytes)).toString('utf8')) as SignedPair) };
  }
  // Stored before the pair was compressed: the documents are fields of their own.
  return { ...rest, ob3: ob3 as Record<string, unknown>, elm: elm as Record<string, unknown> };
}

export async function findCredential(credentialId: string): Promise<StoredCredential | undefined> {
  const record = await Credential.findById(credentialId).lean<CredentialRecord>();
  return record ? unpack(record) : undefined;
}

/** Credentials by id, or of one learner newest first; ids that do not exist are left out. */
export async function findCredentials(
  query: { ids: string[] } | { learnerRef: string },
  limit = 200,
): Promise<StoredCredential[]> {
  const records =
    'ids' in query
      ? await Credential.find({ _id: { $in: query.ids } })
          .limit(limit)
          .lean<CredentialRecord[]>()
      : await Credential.find({ learnerRef: query.learnerRef })
          .sort({ issuedAt: -1 })
          .limit(limit)
          .lean<CredentialRecord[]>();
  return Promise.all(records.map(unpack));
}
