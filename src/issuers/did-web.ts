import { DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT } from '../credentials/contexts.js';
import type { DidDocument } from '../credentials/document-loader.js';

/** `did:web` of this installation: the root form for the default issuer, the path form `:issuers:<id>` otherwise. */
export function didWebFor(publicUrl: string, issuerId?: string): string {
  const url = new URL(publicUrl);
  const host = encodeURIComponent(url.host); // a port becomes %3A, as did:web requires
  const base = url.pathname.replace(/\/$/, '').split('/').filter(Boolean);
  const path = [...base, ...(issuerId ? ['issuers', issuerId] : [])];
  return ['did:web', host, ...path.map(encodeURIComponent)].join(':');
}

/** The URL a did:web document is served at (https in production; the scheme of PUBLIC_URL otherwise). */
export function didWebUrl(did: string, publicUrl: string): string {
  const [, , host, ...path] = did.split(':');
  const scheme = new URL(publicUrl).protocol;
  const rest = path.length ? `/${path.map(decodeURIComponent).join('/')}/did.json` : '/.well-known/did.json';
  return `${scheme}//${decodeURIComponent(host!)}${rest}`;
}

export interface PublicKeyEntry {
  keyId: string;
  publicKeyMultibase: string;
  status: 'active' | 'retired';
}

/**
 * The DID document: every key, active or retired, is a verification method and an assertion method, so
 * credentials signed before a rotation still verify; only the active key is used to sign new ones.
 */
export function didDocument(did: string, keys: PublicKeyEntry[]): DidDocument {
  const methods = keys.map((k) => ({
    id: `${did}#${k.keyId}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase: k.publicKeyMultibase,
  }));
  return {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id: did,
    verificationMethod: methods,
    assertionMethod: methods.map((m) => m.id),
    authentication: keys.filter((k) => k.status === 'active').map((k) => `${did}#${k.keyId}`),
  };
}
