import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { FlattenedSign } from 'jose';

/** A seal's key: the certificate chain (the sealing certificate first) and its private key. */
export interface SealKey {
  certificates: X509Certificate[];
  privateKey: KeyObject;
}

/** A JAdES signature in the JWS JSON general serialization, as the EU's sealed credentials are. */
export type SealedDocument = {
  payload: string;
  signatures: { protected: string; signature: string; header?: Record<string, unknown> }[];
};

/** The JWS algorithm of a seal key: RSA as the EU sample (RS256), or ECDSA on its curve. */
function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ES256';
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
  }
  throw new Error(`a seal key must be RSA or ECDSA on P-256, P-384 or P-521, not ${key.asymmetricKeyType}`);
}

/**
 * Seals a credential as JAdES baseline B-B (ETSI TS 119 182-1) in the EU sample's form: the credential JSON as
 * the unencoded payload (RFC 7797), its bytes exactly those sealed, and a protected header with the certificate
 * chain, its digest and the signing time. No canonicalization: one signature over the bytes.
 */
export async function sealCredential(
  credential: unknown,
  key: SealKey,
  now = new Date(),
): Promise<SealedDocument> {
  const leaf = key.certificates[0];
  if (!leaf) throw new Error('a seal needs its certificate');
  if (!leaf.checkPrivateKey(key.privateKey))
    throw new Error('the private key is not the sealing certificate’s');
  const payload = JSON.stringify(credential);
  const jws = await new FlattenedSign(new TextEncoder().encode(payload))
    .setProtectedHeader({
      alg: algorithmOf(key.privateKey),
      typ: 'jose+json',
      cty: 'json',
      b64: false,
      crit: ['b64', 'sigT'],
      sigT: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      x5c: key.certificates.map((c) => c.raw.toString('base64')),
      'x5t#S256': createHash('sha256').update(leaf.raw).digest('base64url'),
    })
    .sign(key.privateKey, { crit: { sigT: true } });
  return { payload, signatures: [{ protected: jws.protected!, signature: jws.signature }] };
}
