import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from './contexts.js';
import type { DidDocument } from './document-loader.js';

/**
 * The did:key document of a Multikey DID (Ed25519 `z6Mk`, P-256 `zDn`, P-384 `z82`), or undefined when the
 * identifier is not one of those.
 */
export async function didKeyDocument(did: string): Promise<DidDocument | undefined> {
  const publicKeyMultibase = did.slice('did:key:'.length);
  const library = publicKeyMultibase.startsWith('z6Mk')
    ? Ed25519Multikey
    : /^z(Dn|82)/.test(publicKeyMultibase)
      ? EcdsaMultikey
      : undefined;
  if (!library) return undefined;
  try {
    await library.from({ publicKeyMultibase }); // validates the key bytes
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
