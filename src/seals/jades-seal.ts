import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { FlattenedSign } from 'jose';
import * as pkijs from 'pkijs';

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

/**
 * `kid` as JAdES and the EDC issuer give it: the base64 DER of the certificate's IssuerSerial (RFC 5035), the
 * issuer's name as a directoryName and the serial number, which identifies the certificate in any CA's terms.
 */
export function issuerSerial(cert: X509Certificate): string {
  const parsed = pkijs.Certificate.fromBER(new Uint8Array(cert.raw));
  const directoryName = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 4 },
    value: [parsed.issuer.toSchema()],
  });
  const der = new asn1js.Sequence({
    value: [new asn1js.Sequence({ value: [directoryName] }), parsed.serialNumber],
  }).toBER();
  return Buffer.from(der).toString('base64');
}

/** The JWS algorithm of a seal key: RSA as the EU sample (RS256), or ECDSA on its curve. */
export function sealAlgorithm(key: KeyObject): string {
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
      alg: sealAlgorithm(key.privateKey),
      typ: 'jose+json',
      // As the EDC issuer writes them (the EU's sealed sample): the payload's type and the certificate's issuer and serial.
      cty: 'octet-stream',
      kid: issuerSerial(leaf),
      b64: false,
      crit: ['b64', 'sigT'],
      sigT: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      x5c: key.certificates.map((c) => c.raw.toString('base64')),
      'x5t#S256': createHash('sha256').update(leaf.raw).digest('base64url'),
    })
    .sign(key.privateKey, { crit: { sigT: true } });
  return { payload, signatures: [{ protected: jws.protected!, signature: jws.signature }] };
}
