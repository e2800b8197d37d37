import type { SigningIssuer } from '../issuers/issuers.js';
import type { TemplateData } from '../templates/schema.js';
import type { EvidenceInput, LearnerInput } from './award.js';
import { Credential } from './credential-model.js';
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
  const existing = options.firstAttempt ? null : await Credential.findById(options.credentialId).lean();
  if (existing)
    return { ob3: existing.ob3 as Record<string, unknown>, elm: existing.elm as Record<string, unknown> };
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
    ob3: pair.ob3,
    elm: pair.elm,
    status: status.map((s) => ({
      purpose: s.statusPurpose,
      listId: s.statusListCredential.split('/').pop()!,
      index: s.statusListIndex,
    })),
    issuedAt,
  };
  try {
    // Lean: the record is built here with its final types, and casting two large signed documents through
    // mongoose per credential costs time on the issuing path for nothing.
    await Credential.insertMany([record], { lean: true });
  } catch (err) {
    // Another attempt stored this credential while this one signed (a claim taken over from a worker that was
    // only slow): the first write is the credential, this pair is dropped.
    if (!onlyDuplicateKeys(err)) throw err;
    const first = await Credential.findById(options.credentialId).orFail().lean();
    return { ob3: first.ob3 as Record<string, unknown>, elm: first.elm as Record<string, unknown> };
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
  const credential = await Credential.findById(credentialId).lean();
  if (!credential) return false;
  if (credential.issuerId !== issuer.id) throw new Error('credential belongs to another issuer');
  const entry = credential.status.find((s) => s.purpose === purpose);
  if (!entry) throw new Error(`credential has no ${purpose} entry`);
  await setStatus(issuer, entry.listId, entry.index, value, publicUrl, documentLoader);
  return true;
}

export async function findCredential(credentialId: string) {
  return Credential.findById(credentialId).lean();
}
