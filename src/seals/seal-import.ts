import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { Refusal } from '../errors/refusal.js';
import type { SealKey } from './jades-seal.js';
import { readPemCertificates } from './trust-anchors.js';

/** What an administrator hands in: a PKCS#12 file with its password, or a PEM key with its PEM chain. */
export type SealImport =
  { pkcs12: Buffer; password: string } | { privateKeyPem: string; certificatesPem: string };

const invalid = (field: string, problem: string) =>
  new Refusal('invalid', 'invalid_seal', 'the seal cannot be imported', [`${field}: ${problem}`]);

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * The most key-derivation iterations a PKCS#12 file may ask for. OpenSSL writes 2,048, Java 10,000; the MAC's
 * derivation runs in JavaScript on the event loop, so a file asking for millions would hold the whole server.
 */
const MAX_ITERATIONS = 100_000;
const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';

/** The iteration count of a password-based encryption algorithm: PBES2 (PBKDF2) or a PKCS#12 PBE scheme. */
function iterationsOf(algorithm: pkijs.AlgorithmIdentifier): number {
  const params = algorithm.algorithmParams as asn1js.Sequence | undefined;
  if (algorithm.algorithmId === OID_PBES2) {
    // Read from copies: reading a schema marks it, and the decryption reads the same one again.
    const pbes2 = pkijs.PBES2Params.fromBER(params!.toBER());
    const kdf = pkijs.PBKDF2Params.fromBER(
      (pbes2.keyDerivationFunc.algorithmParams as asn1js.Sequence).toBER(),
    );
    return kdf.iterationCount;
  }
  // pkcs-12PbeParams: SEQUENCE { salt OCTET STRING, iterations INTEGER }
  const count = params?.valueBlock?.value?.[1];
  return count instanceof asn1js.Integer ? count.valueBlock.valueDec : 0;
}

function checkIterations(count: number | undefined, what: string): void {
  if (count !== undefined && count > MAX_ITERATIONS)
    throw invalid(
      'pkcs12',
      `${what} asks for ${count} key-derivation iterations; at most ${MAX_ITERATIONS} are accepted`,
    );
}

/**
 * The certificates and key of a PKCS#12 file (as trust service providers and `openssl pkcs12 -export` make them:
 * PBES2/AES or the legacy 3DES bags, with an integrity MAC). A wrong password is told apart from a bad file.
 */
async function readPkcs12(
  der: Buffer,
  password: string,
): Promise<{ certs: X509Certificate[]; keys: KeyObject[] }> {
  const secret = toArrayBuffer(new TextEncoder().encode(password));
  let pfx: pkijs.PFX;
  try {
    pfx = pkijs.PFX.fromBER(toArrayBuffer(der));
  } catch {
    throw invalid('pkcs12', 'not a PKCS#12 (.p12, .pfx) file');
  }
  checkIterations(pfx.macData?.iterations, 'its integrity check');
  try {
    await pfx.parseInternalValues({ password: secret, checkIntegrity: true });
  } catch {
    throw invalid('password', 'the password does not open this PKCS#12 file');
  }
  const certs: X509Certificate[] = [];
  const keys: KeyObject[] = [];
  try {
    const safe = pfx.parsedValue?.authenticatedSafe;
    if (!safe) throw new Error('no authenticated safe');
    // Every iteration count is read before anything is decrypted with it.
    for (const info of safe.safeContents)
      if (info.contentType === OID_ENCRYPTED_DATA) {
        // Parsed from a copy: reading a schema marks it, and pkijs reads the same one again to decrypt.
        const data = pkijs.EncryptedData.fromBER((info.content as asn1js.Sequence).toBER());
        checkIterations(
          iterationsOf(data.encryptedContentInfo.contentEncryptionAlgorithm),
          'its certificates',
        );
      }
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: secret })) });
    for (const contents of safe.parsedValue.safeContents) {
      for (const bag of contents.value.safeBags) {
        let pkcs8: ArrayBuffer | undefined;
        if (bag.bagValue instanceof pkijs.PKCS8ShroudedKeyBag) {
          checkIterations(iterationsOf(bag.bagValue.encryptionAlgorithm), 'its private key');
          await bag.bagValue.parseInternalValues({ password: secret });
          pkcs8 = bag.bagValue.parsedValue?.toSchema().toBER();
        } else if (bag.bagValue instanceof pkijs.PrivateKeyInfo) {
          pkcs8 = bag.bagValue.toSchema().toBER();
        } else if (
          bag.bagValue instanceof pkijs.CertBag &&
          bag.bagValue.parsedValue instanceof pkijs.Certificate
        ) {
          certs.push(new X509Certificate(Buffer.from(bag.bagValue.parsedValue.toSchema().toBER())));
        }
        if (pkcs8) keys.push(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }));
      }
    }
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw invalid('pkcs12', `its contents cannot be read (${(err as Error).message})`);
  }
  return { certs, keys };
}

function readPem(
  privateKeyPem: string,
  certificatesPem: string,
): { certs: X509Certificate[]; keys: KeyObject[] } {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw invalid('privateKey', 'not an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)');
  }
  let certs: X509Certificate[];
  try {
    certs = readPemCertificates(certificatesPem, 'the certificates');
  } catch (err) {
    throw invalid('certificates', (err as Error).message);
  }
  if (!certs.length) throw invalid('certificates', 'no PEM certificate found');
  return { certs, keys: [key] };
}

/** Key types a seal may use: those jades-seal.ts signs with, RSA of at least 2048 bits. */
function keyProblem(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa')
    return (details.modulusLength ?? 0) < 2048 ? 'an RSA key must have at least 2048 bits' : undefined;
  if (key.asymmetricKeyType === 'ec')
    return ['prime256v1', 'secp384r1', 'secp521r1'].includes(details.namedCurve ?? '')
      ? undefined
      : 'an EC key must be on P-256, P-384 or P-521';
  return `a ${key.asymmetricKeyType ?? 'unknown'} key cannot seal; use RSA or ECDSA`;
}

/** Why a certificate is not one to seal with: a CA's, or one whose key usage allows no signing of documents. */
function usageProblem(cert: X509Certificate): string | undefined {
  if (cert.ca) return 'the certificate is a CA certificate, not a seal certificate';
  const extension = pkijs.Certificate.fromBER(new Uint8Array(cert.raw)).extensions?.find(
    (e) => e.extnID === '2.5.29.15',
  );
  if (!extension) return undefined;
  // keyUsage bits: digitalSignature (0) and nonRepudiation, now contentCommitment (1), which seal certificates carry.
  const first = (extension.parsedValue as asn1js.BitString | undefined)?.valueBlock.valueHexView[0] ?? 0;
  return first & 0xc0
    ? undefined
    : 'the certificate’s key usage allows neither digital signatures nor content commitment';
}

/**
 * Reads an import into a seal key: the certificate whose public key is the private key's comes first, then its
 * issuers in order as far as the file has them (certificates of no use to the chain are dropped). Refused, with
 * the field named: an unreadable file, a wrong password, a key with no certificate, a key type that cannot seal,
 * and a certificate not valid now.
 */
export async function readSealImport(input: SealImport, now = new Date()): Promise<SealKey> {
  const { certs, keys } =
    'pkcs12' in input
      ? await readPkcs12(input.pkcs12, input.password)
      : readPem(input.privateKeyPem, input.certificatesPem);
  const privateKey = keys[0];
  if (!privateKey) throw invalid('pkcs12', 'the file holds no private key');
  if (keys.length > 1) throw invalid('pkcs12', 'the file holds more than one private key');
  const problem = keyProblem(privateKey);
  if (problem) throw invalid('privateKey', problem);
  const leaf = certs.find((c) => c.checkPrivateKey(privateKey));
  if (!leaf) throw invalid('certificates', 'no certificate is for this private key');
  const usage = usageProblem(leaf);
  if (usage) throw invalid('certificates', usage);
  if (Date.parse(leaf.validTo) < now.getTime())
    throw invalid('certificates', `the certificate expired on ${leaf.validTo}`);
  if (Date.parse(leaf.validFrom) > now.getTime())
    throw invalid('certificates', `the certificate is not valid before ${leaf.validFrom}`);
  const chain = [leaf];
  for (let current = leaf; chain.length <= certs.length;) {
    const issuer = certs.find(
      (c) => !chain.includes(c) && current.checkIssued(c) && current.verify(c.publicKey),
    );
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return { certificates: chain, privateKey };
}
