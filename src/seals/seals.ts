import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Refusal } from '../errors/refusal.js';
import { decryptSecret, encryptSecret } from '../security/encryption.js';
import { certificateFacts, holderName, type CertificateFacts } from './certificates.js';
import type { SealKey } from './jades-seal.js';
import { SealCertificate } from './seal-model.js';
import { readSealImport, type SealImport } from './seal-import.js';
import { makeTestSeal } from './test-seal.js';

/** Days before a seal certificate's end from which the console warns. */
export const EXPIRY_WARNING_DAYS = 30;

export interface SealRecord {
  _id: string;
  institutionId: string;
  certificates: string[];
  fingerprint: string;
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  qualified: boolean;
  test: boolean;
  sealedPrivateKey: string;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt?: Date;
  compromisedAt?: Date;
}

/** A seal as the console shows it: what its certificate says, and whether it needs attention. */
export interface SealSummary extends CertificateFacts {
  id: string;
  holder: string;
  test: boolean;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt?: Date;
  daysLeft: number;
  warning?: 'expired' | 'expiring';
}

/**
 * Stores a seal key as the institution's active seal and retires the one before. The new record is written
 * active first and the others retired after (no multi-document transactions): a crash between the two leaves
 * two active seals, of which the newest is used (activeSeal).
 */
async function storeSeal(
  institutionId: string,
  key: SealKey,
  kek: Buffer,
  test: boolean,
): Promise<SealRecord> {
  const leaf = key.certificates[0]!;
  const facts = certificateFacts(leaf);
  const id = `${institutionId}:${facts.fingerprint}`;
  if (await SealCertificate.exists({ _id: id }))
    throw new Refusal('conflict', 'seal_exists', 'this seal certificate is already imported', [
      'certificates: the institution already has this certificate; import a new one to rotate',
    ]);
  const pkcs8 = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const now = new Date();
  const record: SealRecord = {
    _id: id,
    institutionId,
    certificates: key.certificates.map((c) => c.toString()),
    fingerprint: facts.fingerprint,
    subject: facts.subject,
    issuer: facts.issuer,
    validFrom: new Date(facts.validFrom),
    validTo: new Date(facts.validTo),
    qualified: facts.qualified,
    test,
    sealedPrivateKey: encryptSecret(kek, pkcs8, `seal:${id}`),
    status: 'active',
    createdAt: now,
  };
  await SealCertificate.create(record);
  await SealCertificate.updateMany(
    { institutionId, _id: { $ne: id }, status: 'active' },
    { $set: { status: 'retired', retiredAt: now } },
  );
  return record;
}

/** Imports an eSeal certificate and key (PKCS#12, or PEM key and chain) as the institution's active seal. */
export async function importSeal(institutionId: string, input: SealImport, kek: Buffer): Promise<SealRecord> {
  return storeSeal(institutionId, await readSealImport(input), kek, false);
}

/** Makes a self-signed test seal for the institution (demos and tests; every screen labels it). */
export async function createTestSeal(
  institutionId: string,
  organisation: string,
  kek: Buffer,
): Promise<SealRecord> {
  return storeSeal(institutionId, await makeTestSeal(organisation), kek, true);
}

/** The seals an institution has had, newest first. */
export async function institutionSeals(institutionId: string): Promise<SealRecord[]> {
  return (await SealCertificate.find({ institutionId }).sort({ createdAt: -1 }).lean()) as SealRecord[];
}

/** The seal the institution's credentials are sealed with now, if it has one. */
export async function activeSeal(institutionId: string): Promise<SealRecord | undefined> {
  const [seal] = (await SealCertificate.find({ institutionId, status: 'active' })
    .sort({ createdAt: -1 })
    .limit(1)
    .lean()) as SealRecord[];
  return seal;
}

/**
 * Reports a seal's key compromised since `since` (its certificate should also be revoked at its CA): the seal is
 * retired, and from then on this installation recognises only credentials proven sealed before that time (by a
 * trusted time-stamp, or this installation's own record of issuing them). Undefined when there is no such seal.
 */
export async function compromiseSeal(
  institutionId: string,
  fingerprint: string,
  since: Date,
): Promise<SealRecord | undefined> {
  const updated = await SealCertificate.findOneAndUpdate(
    { _id: `${institutionId}:${fingerprint}` },
    { $set: { status: 'retired', compromisedAt: since }, $min: { retiredAt: since } },
    { returnDocument: 'after' },
  ).lean();
  return (updated as SealRecord | null) ?? undefined;
}

/** Whether a certificate (its x5t#S256) is one the institution imported: a seal it made, expired or not. */
export async function isInstitutionSeal(
  institutionId: string,
  fingerprint: string,
): Promise<SealRecord | undefined> {
  return (
    ((await SealCertificate.findById(`${institutionId}:${fingerprint}`).lean()) as SealRecord | null) ??
    undefined
  );
}

const keys = new Map<string, SealKey>();

/** The seal's key, decrypted once per process (records are immutable but for their status). */
export function sealKey(seal: SealRecord, kek: Buffer): SealKey {
  let key = keys.get(seal._id);
  if (!key) {
    key = {
      certificates: seal.certificates.map((pem) => new X509Certificate(pem)),
      privateKey: createPrivateKey(decryptSecret(kek, seal.sealedPrivateKey, `seal:${seal._id}`)),
    };
    keys.set(seal._id, key);
  }
  return key;
}

export function summarizeSeal(seal: SealRecord, now = new Date()): SealSummary {
  const leaf = new X509Certificate(seal.certificates[0]!);
  const facts = certificateFacts(leaf);
  const daysLeft = Math.floor((seal.validTo.getTime() - now.getTime()) / (24 * 3600_000));
  return {
    ...facts,
    id: seal._id,
    holder: holderName(leaf.subject),
    test: seal.test,
    status: seal.status,
    createdAt: seal.createdAt,
    ...(seal.retiredAt ? { retiredAt: seal.retiredAt } : {}),
    daysLeft,
    ...(daysLeft < 0
      ? { warning: 'expired' as const }
      : daysLeft < EXPIRY_WARNING_DAYS
        ? { warning: 'expiring' as const }
        : {}),
  };
}
