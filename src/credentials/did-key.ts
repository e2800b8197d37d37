import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from './contexts.js';
import type { DidDocument } from './document-loader.js';

/** The did:key document of an Ed25519 Multikey DID, or undefined when the identifier is not one. */
export async function didKeyDocument(did: string): Promise<DidDocument | undefined> {
  const publicKeyMultibase = did.slice('did:key:'.length);
  if (!publicKeyMultibase.startsWith('z6Mk')) return undefined;
  try {
    await Ed25519Multikey.from({ publicKeyMultibase }); // validates the key bytes
  } catch {
    return undefined;
  }
  const id = `${did}#${publicKeyMultibase}`;
  return {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id: did,
    verificationMethod: [{ id, type: 'Multikey', controller: did, publicKeyMultibase }],
    assertionMethod: [id],
    authentication: [id],
  };
}

/** A throwaway did:key signing key, for development, samples and tests. */
export async function generateDidKey(): Promise<Ed25519KeyPair> {
  const pair = await Ed25519Multikey.generate();
  const did = `did:key:${pair.publicKeyMultibase}`;
  const exported = await pair.export({ publicKey: true, secretKey: true });
  return Ed25519Multikey.from({ ...exported, id: `${did}#${pair.publicKeyMultibase}`, controller: did });
}
