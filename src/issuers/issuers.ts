import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { organisationSchema, type Organisation } from '../templates/schema.js';
import { didDocument, didWebFor, type PublicKeyEntry } from './did-web.js';
import { Issuer } from './issuer-model.js';
import { issuersChanged } from './issuer-changes.js';
import { decryptSecret, encryptSecret } from '../security/encryption.js';
import type { DidDocument } from '../credentials/document-loader.js';

interface StoredKey extends PublicKeyEntry {
  sealedPrivateKey: string;
  createdAt: Date;
  retiredAt?: Date;
}

export interface IssuerRecord {
  _id: string;
  institutionId: string;
  did: string;
  profile: Organisation;
  isDefault: boolean;
  keys: StoredKey[];
}

export interface SigningIssuer {
  id: string;
  did: string;
  profile: Organisation;
  key: Ed25519KeyPair;
}

async function newKey(kek: Buffer, did: string, keyId: string): Promise<StoredKey> {
  const pair = await Ed25519Multikey.generate({ id: `${did}#${keyId}`, controller: did });
  const { secretKeyMultibase } = await pair.export({ publicKey: true, secretKey: true });
  return {
    keyId,
    publicKeyMultibase: pair.publicKeyMultibase,
    sealedPrivateKey: encryptSecret(kek, secretKeyMultibase!, `${did}#${keyId}`),
    status: 'active',
    createdAt: new Date(),
  };
}

/** Creates an issuer with its first signing key. The default issuer answers at /.well-known/did.json. */
export async function createIssuer(options: {
  id: string;
  institutionId: string;
  profile: Organisation;
  publicUrl: string;
  kek: Buffer;
  isDefault?: boolean;
}): Promise<IssuerRecord> {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(options.id))
    throw new Error('issuer id: lowercase letters, digits and "-"');
  const profile = organisationSchema.parse(options.profile);
  const did = didWebFor(options.publicUrl, options.isDefault ? undefined : options.id);
  const key = await newKey(options.kek, did, 'key-1');
  const doc = await Issuer.create({
    _id: options.id,
    institutionId: options.institutionId,
    did,
    profile,
    isDefault: !!options.isDefault,
    keys: [key],
  });
  issuersChanged();
  return doc.toObject() as unknown as IssuerRecord;
}

export async function findIssuer(id: string): Promise<IssuerRecord | undefined> {
  return ((await Issuer.findById(id).lean()) as IssuerRecord | null) ?? undefined;
}

export async function findIssuerByDid(did: string): Promise<IssuerRecord | undefined> {
  return ((await Issuer.findOne({ did }).lean()) as IssuerRecord | null) ?? undefined;
}

export async function findDefaultIssuer(): Promise<IssuerRecord | undefined> {
  return ((await Issuer.findOne({ isDefault: true }).lean()) as IssuerRecord | null) ?? undefined;
}

/** The issuers an institution owns, oldest first: the first is the one its courses sign with by default. */
export async function institutionIssuers(institutionId: string): Promise<IssuerRecord[]> {
  return (await Issuer.find({ institutionId }).sort({ createdAt: 1, _id: 1 }).lean()) as IssuerRecord[];
}

export function issuerDidDocument(issuer: IssuerRecord): DidDocument {
  return didDocument(issuer.did, issuer.keys);
}

/**
 * Rotates the signing key: a new active key is added and the previous ones are marked retired, in one atomic
 * update guarded on the key count (a concurrent rotation loses and retries). Retired keys stay in the DID
 * document, so credentials they signed remain verifiable.
 */
export async function rotateIssuerKey(id: string, kek: Buffer): Promise<IssuerRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const issuer = await findIssuer(id);
    if (!issuer) throw new Error(`no issuer ${id}`);
    const now = new Date();
    const key = await newKey(kek, issuer.did, `key-${issuer.keys.length + 1}`);
    const keys = [
      ...issuer.keys.map((k) => ({ ...k, status: 'retired' as const, retiredAt: k.retiredAt ?? now })),
      key,
    ];
    const updated = await Issuer.findOneAndUpdate(
      { _id: id, 'keys.keyId': { $ne: key.keyId } },
      { $set: { keys } },
      { returnDocument: 'after' },
    ).lean();
    if (updated) {
      issuersChanged(); // every process drops the old key and DID document now, not after a TTL
      return updated as unknown as IssuerRecord;
    }
  }
  throw new Error(`issuer ${id}: key rotation kept conflicting, try again`);
}

const signingKeys = new Map<string, Ed25519KeyPair>();

/** The issuer's active key, unsealed once per process and cached (the cache key includes the key id). */
export async function signingIssuer(issuer: IssuerRecord, kek: Buffer): Promise<SigningIssuer> {
  const active = issuer.keys.find((k) => k.status === 'active');
  if (!active) throw new Error(`issuer ${issuer._id} has no active key`);
  const vmId = `${issuer.did}#${active.keyId}`;
  let key = signingKeys.get(vmId);
  if (!key) {
    key = await Ed25519Multikey.from({
      id: vmId,
      controller: issuer.did,
      publicKeyMultibase: active.publicKeyMultibase,
      secretKeyMultibase: decryptSecret(kek, active.sealedPrivateKey, vmId),
    });
    signingKeys.set(vmId, key);
  }
  return { id: issuer._id, did: issuer.did, profile: issuer.profile, key };
}
