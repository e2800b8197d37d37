import type { SigningIssuer } from '../issuers/issuers.js';
import type { TemplateData } from '../templates/schema.js';
import type { EvidenceInput, LearnerInput } from './award.js';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Binary } from 'mongodb';
import { Credential, type CredentialRecord } from './credential-model.js';
import type { DocumentLoader } from './document-loader.js';
import { issueCredentialPair, type SignedPair } from './issue-pair.js';
import { allocateStatusEntries, setStatus, type StatusPurpose } from './status-lists.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';

export interface StoreOptions {
  template: TemplateData & { version: number };
  issuer: SigningIssuer;
  learner: LearnerInput;
  learnerRef: string;
  evidence?: EvidenceInput;
  credentialId: string;
  /** Nothing can be stored under this id yet (a first attempt): skip the read that finds a stored pair. */
  firstAttempt?: boolean;
  publicUrl: string;
  documentLoader: DocumentLoader;
}

/**
 * Issues both documents with revocation and suspension entries and stores them under `credentialId`. Calling it
 * again with the same id returns the stored pair, so a retried job never issues twice.
 */
export async function issueAndStoreCredential(options: StoreOptions): Promise<SignedPair> {
  const existing = options.firstAttempt ? null : await findCredential(options.credentialId);
  if (existing) return { ob3: existing.ob3, elm: existing.elm };
  const { issuer, publicUrl, documentLoader } = options;
  const status = await allocateStatusEntries(issuer, publicUrl, documentLoader);
  const issuedAt = new Date();
  const pair = await issueCredentialPair({
    template: options.template,
    issuer: { did: issuer.did, profile: issuer.profile },
    learner: options.learner,
    evidence: options.evidence,
    credentialId: options.credentialId,
    issuedAt,
    publicUrl,
    status,
    key: issuer.key,
    documentLoader,
  });
  const record = {
    _id: options.credentialId,
    issuerId: issuer.id,
    templateKey: options.template.key,
    templateVersion: options.template.version,
    learnerRef: options.learnerRef,
    signed: await packPair(pair),
    status: status.map((s) => ({
      purpose: s.statusPurpose,
      listId: s.statusListCredential.split('/').pop()!,
      index: s.statusListIndex,
    })),
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

/** Revokes (permanent by convention) or suspends/unsuspends both documents of a stored credential. */
export async function changeCredentialStatus(
  credentialId: string,
  purpose: StatusPurpose,
  value: boolean,
  issuer: SigningIssuer,
  publicUrl: string,
  documentLoader: DocumentLoader,
): Promise<boolean> {
  const credential = await Credential.findById(credentialId, { issuerId: 1, status: 1 }).lean();
  if (!credential) return false;
  if (credential.issuerId !== issuer.id) throw new Error('credential belongs to another issuer');
  const entry = credential.status.find((s) => s.purpose === purpose);
  if (!entry) throw new Error(`credential has no ${purpose} entry`);
  await setStatus(issuer, entry.listId, entry.index, value, publicUrl, documentLoader);
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
