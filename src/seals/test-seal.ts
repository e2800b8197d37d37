import { KeyObject, X509Certificate, randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { SealKey } from './jades-seal.js';

/** The subject's organisation name as its certificate must spell it: printable, at most 64 characters. */
const cleanName = (name: string) =>
  name
    .replace(/[\p{Cc}]/gu, ' ')
    .trim()
    .slice(0, 48) || 'Credbridge';

/** The key kinds of a test seal: ECDSA P-256 (the default, fast) or RSA 3072 as many QTSPs issue (RS256). */
const KEY_KINDS = {
  ec: { name: 'ECDSA', namedCurve: 'P-256' },
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 3072,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const;

/**
 * A self-signed seal for demos and tests, valid for a year: the same JAdES as a real seal, so every path can be
 * tried, but no trust list knows it. Its common name says "test seal, not qualified", and the seal record is
 * marked `test` so every screen says it too.
 */
export async function makeTestSeal(
  organisation: string,
  now = new Date(),
  kind: keyof typeof KEY_KINDS = 'ec',
): Promise<SealKey> {
  const keys = (await webcrypto.subtle.generateKey(KEY_KINDS[kind], true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  // One attribute per RDN (pkijs alone would put both in one multi-valued RDN, printed "O=… + CN=…").
  const rdn = (type: string, value: string) =>
    new asn1js.Set({
      value: [new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) }).toSchema()],
    });
  const name = new asn1js.Sequence({
    value: [rdn('2.5.4.10', cleanName(organisation)), rdn('2.5.4.3', 'Credbridge test seal, not qualified')],
  }).toBER();
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: Uint8Array.from([0x01, ...randomBytes(15)]) });
  cert.subject = pkijs.RelativeDistinguishedNames.fromBER(name);
  cert.issuer = pkijs.RelativeDistinguishedNames.fromBER(name);
  cert.notBefore.value = new Date(now.getTime() - 60_000);
  cert.notAfter.value = new Date(now.getTime() + 365 * 24 * 3600_000);
  // keyUsage: digitalSignature and nonRepudiation (contentCommitment), as seal certificates carry.
  const usage = new asn1js.BitString({ valueHex: Uint8Array.from([0xc0]).buffer, unusedBits: 6 });
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.15',
      critical: true,
      extnValue: usage.toBER(false),
      parsedValue: usage,
    }),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(keys.privateKey, 'SHA-256');
  return {
    certificates: [new X509Certificate(Buffer.from(cert.toSchema().toBER()))],
    privateKey: KeyObject.from(keys.privateKey),
  };
}
