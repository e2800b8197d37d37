import type { Model, Types } from 'mongoose';
import { LmsConnection } from '../grades/lms-connection-model.js';
import { Issuer } from '../issuers/issuer-model.js';
import { LtiToolKey } from '../lti/models.js';
import { SealCertificate } from '../seals/seal-model.js';
import { decryptSecret, encryptSecret, keyId, sealedUnder } from './encryption.js';

/**
 * Every secret stored under the key-encryption key, and how to find, open and compare-and-set each one. The
 * rotation re-seals them one at a time: each update only applies if the stored value is still the one that
 * was read, so a crash or a concurrent write leaves every secret readable under exactly one key (the key id it
 * names), and a second run continues where the first stopped.
 */
interface SecretSlot {
  /** Where the secret sits in its document, as a MongoDB path (`keys.0.sealedPrivateKey`). */
  path: string;
  /** The additional authenticated data it was sealed with. */
  context: string;
  stored: string;
  /** Extra conditions of the compare-and-set, so an array element is the same one that was read. */
  guard?: Record<string, unknown>;
}

interface SecretKind {
  collection: string;
  model: Model<never>;
  slots(doc: Record<string, unknown>): SecretSlot[];
}

const kinds: SecretKind[] = [
  {
    collection: 'issuers',
    model: Issuer as unknown as Model<never>,
    slots: (doc) =>
      ((doc.keys as { keyId: string; sealedPrivateKey: string }[] | undefined) ?? []).map((k, i) => ({
        path: `keys.${i}.sealedPrivateKey`,
        context: `${String(doc.did)}#${k.keyId}`,
        stored: k.sealedPrivateKey,
        guard: { [`keys.${i}.keyId`]: k.keyId },
      })),
  },
  {
    collection: 'seals',
    model: SealCertificate as unknown as Model<never>,
    slots: (doc) => [
      { path: 'sealedPrivateKey', context: `seal:${String(doc._id)}`, stored: String(doc.sealedPrivateKey) },
    ],
  },
  {
    collection: 'lti_tool_keys',
    model: LtiToolKey as unknown as Model<never>,
    slots: (doc) => [
      {
        path: 'privateKeyEncrypted',
        context: `lti-tool-key:${String(doc.kid)}`,
        stored: String(doc.privateKeyEncrypted),
      },
    ],
  },
  {
    collection: 'lms_connections',
    model: LmsConnection as unknown as Model<never>,
    slots: (doc) => [
      {
        path: 'tokenEncrypted',
        context: `lms-connection:${String(doc.platformId)}`,
        stored: String(doc.tokenEncrypted),
      },
    ],
  },
];

export interface CollectionReport {
  collection: string;
  /** Secrets found. */
  secrets: number;
  /** Re-sealed under the new key by this run. */
  resealed: number;
  /** Already under the new key (sealed after the switch, or by an earlier run). */
  alreadyNew: number;
  /** Under neither key, or changed under us too often: left as they were, named in `problems`. */
  failed: number;
  problems: string[];
}

export interface RotationOptions {
  oldKey: Buffer;
  newKey: Buffer;
  onProgress?: (report: CollectionReport) => void;
  /** Called before each write; tests use it to stop a rotation half-way. */
  beforeWrite?: () => void | Promise<void>;
}

/** Counts the secrets of every collection by the key id they are sealed under. */
export async function secretsByKey(): Promise<Record<string, Record<string, number>>> {
  const census: Record<string, Record<string, number>> = {};
  for (const kind of kinds) {
    const counts: Record<string, number> = {};
    for await (const doc of kind.model.find().lean().cursor()) {
      for (const slot of kind.slots(doc as Record<string, unknown>))
        counts[sealedUnder(slot.stored)] = (counts[sealedUnder(slot.stored)] ?? 0) + 1;
    }
    census[kind.collection] = counts;
  }
  return census;
}

/** Re-seals every stored secret from `oldKey` to `newKey`, one document at a time. */
export async function rotateKeyEncryptionKey(options: RotationOptions): Promise<CollectionReport[]> {
  const { oldKey, newKey } = options;
  if (oldKey.equals(newKey)) throw new Error('the new key is the current key');
  const newId = keyId(newKey);
  const reports: CollectionReport[] = [];
  for (const kind of kinds) {
    const report: CollectionReport = {
      collection: kind.collection,
      secrets: 0,
      resealed: 0,
      alreadyNew: 0,
      failed: 0,
      problems: [],
    };
    const ids = (await kind.model.find({}, { _id: 1 }).lean()).map((d) => (d as { _id: unknown })._id);
    for (const id of ids) {
      await resealDocument(kind, id, options, newId, report);
      if ((report.resealed + report.alreadyNew + report.failed) % 100 === 0) options.onProgress?.(report);
    }
    options.onProgress?.(report);
    reports.push(report);
  }
  return reports;
}

async function resealDocument(
  kind: SecretKind,
  id: unknown,
  options: RotationOptions,
  newId: string,
  report: CollectionReport,
): Promise<void> {
  const doc = (await kind.model.findById(id).lean()) as Record<string, unknown> | null;
  if (!doc) return; // deleted meanwhile
  for (const first of kind.slots(doc)) {
    report.secrets++;
    let slot: SecretSlot | undefined = first;
    for (let attempt = 0; slot; attempt++) {
      if (sealedUnder(slot.stored) === newId) {
        report.alreadyNew++;
        break;
      }
      if (attempt === 3) {
        report.failed++;
        report.problems.push(`${kind.collection} ${String(id)} ${slot.path}: kept changing, left as it is`);
        break;
      }
      let resealed: string;
      try {
        resealed = encryptSecret(
          options.newKey,
          decryptSecret(options.oldKey, slot.stored, slot.context),
          slot.context,
        );
      } catch (err) {
        report.failed++;
        report.problems.push(`${kind.collection} ${String(id)} ${slot.path}: ${(err as Error).message}`);
        break;
      }
      await options.beforeWrite?.();
      // The driver's own update: the filter is the stored value exactly as read, with no schema casting.
      const written = await kind.model.collection.updateOne(
        { _id: id as Types.ObjectId, ...slot.guard, [slot.path]: slot.stored },
        { $set: { [slot.path]: resealed } },
      );
      if (written.modifiedCount === 1) {
        report.resealed++;
        break;
      }
      // Changed since it was read (re-saved, rotated, deleted): read it again and decide anew.
      const again = (await kind.model.findById(id).lean()) as Record<string, unknown> | null;
      slot = again
        ? kind.slots(again).find((s) => s.path === first.path && s.context === first.context)
        : undefined;
    }
  }
}
