import { X509Certificate } from 'node:crypto';
import { flattenedVerify, type FlattenedJWS } from 'jose';
import { isObject } from '../credentials/json-values.js';
import { certificateFacts, chainsToAnchor, holderName, type CertificateFacts } from './certificates.js';
import { decodeEtsiU, signatureTimestampInput, verifyTimestamp, type TimestampVerdict } from './timestamp.js';
import { readValidationValues, verifyValidationValues } from './validation-data.js';

/**
 * Verifies a JAdES-sealed European Digital Credential as the EDC infrastructure produces it: a JWS JSON
 * serialization (ETSI TS 119 182-1) whose payload is the credential JSON unencoded (RFC 7797, `b64: false`), one
 * signature whose protected header carries the sealing certificate (`x5c`, `x5t#S256`) and the claimed signing
 * time (`sigT`), and unsigned ETSI values (`etsiU`: time-stamps, certificate and revocation values).
 *
 * Checked here: the structure and which header parameters are signed, the signature over the exact payload bytes
 * (jose), the certificate's digest, its validity at `sigT`, whether it says it is qualified (ETSI EN 319 412-5 QC
 * statements), its chain up to the trust anchors given, and each signature time-stamp (`sigTst`, RFC 3161): its
 * imprint over the signature value, the TSA's signature and its chain to the same anchors; and validation data
 * (B-LT): each OCSP response and CRL of `rVals` signed by the certificate's CA or its delegated responder, none
 * saying a certificate of the seal is revoked, one saying the sealing certificate was not revoked at the
 * time-stamp's time, the `xVals` certificates helping build chains. Other time-stamps (`adoTst`, `arcTst`) are
 * reported, not verified.
 */

export interface SealCheck {
  check:
    'structure' | 'header' | 'certificate' | 'signature' | 'validity' | 'chain' | 'timestamps' | 'revocation';
  ok: boolean;
  message: string;
}

/** The sealing certificate: what it says of itself, and the holder's name as pages show it. */
export type SealSigner = CertificateFacts & { holder: string };

export interface SealVerdict {
  /** The seal is intact and was made with a certificate valid at its signing time. */
  ok: boolean;
  /** The certificate chains up to one of the trust anchors given. */
  trusted: boolean;
  checks: SealCheck[];
  signer?: SealSigner;
  signedAt?: string;
  /** When a verified signature time-stamp says the seal existed (the earliest, if several), ISO 8601. */
  timestampedAt?: string;
  /**
   * The earliest time a time-stamp from a TSA chaining to a trust anchor proves the seal existed: unlike `sigT`,
   * which the signer writes, a time a holder of a stolen or expired key cannot backdate.
   */
  provenAt?: string;
  /** The credential the seal covers, parsed from the exact bytes that were signed. */
  payload?: unknown;
}

export interface SealOptions {
  /** CA certificates a seal's chain must reach (a file of them, or a copy of an EU trusted list's). */
  trustAnchors?: X509Certificate[];
  now?: Date;
}

/** The algorithms a seal may use (RSA PKCS#1 and PSS, ECDSA); never `none` or a MAC. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** Header parameters this verifier understands when `crit` names them; any other critical one is refused. */
const UNDERSTOOD_CRIT = new Set(['b64', 'sigT', 'adoTst']);
/** Parameters that mean something only when signed: found unsigned, they are a forgery's claim. */
const MUST_BE_SIGNED = [
  'alg',
  'b64',
  'crit',
  'sigT',
  'x5c',
  'x5t#S256',
  'x5t#o',
  'kid',
  'cty',
  'typ',
  'adoTst',
];

/**
 * Bounds on what a stranger's seal may make the verifier parse and check: the EU's B-LTA sample has 1 certificate
 * in x5c, 4 unsigned values (25 KB), 4 certificates in xVals and 2 revocation values. Past these, each further
 * certificate multiplies the work of matching answers to certificates, so a small body could hold the server.
 */
export const SEAL_LIMITS = { x5c: 8, etsiU: 8, etsiUChars: 200_000, timestamps: 4 } as const;

function sizeProblem(
  protectedHeader: Record<string, unknown>,
  unprotected: Record<string, unknown>,
): string | undefined {
  const x5c = protectedHeader.x5c as unknown[];
  if (x5c.length > SEAL_LIMITS.x5c)
    return `x5c holds ${x5c.length} certificates; at most ${SEAL_LIMITS.x5c} are read`;
  const etsiU = unprotected.etsiU;
  if (etsiU === undefined) return undefined;
  if (Array.isArray(etsiU) && etsiU.length > SEAL_LIMITS.etsiU)
    return `etsiU holds ${etsiU.length} values; at most ${SEAL_LIMITS.etsiU} are read`;
  if (JSON.stringify(etsiU).length > SEAL_LIMITS.etsiUChars)
    return `etsiU is larger than ${SEAL_LIMITS.etsiUChars} characters`;
  return undefined;
}

/** The one signature of a general or flattened JWS JSON serialization, or why there is none. */
function oneSignature(doc: unknown): FlattenedJWS | string {
  if (!isObject(doc) || typeof doc.payload !== 'string') return 'not a JWS JSON serialization with a payload';
  const signatures = Array.isArray(doc.signatures) ? doc.signatures : [doc];
  if (signatures.length !== 1) return `${signatures.length} signatures; a sealed credential has one`;
  const s = signatures[0] as Record<string, unknown>;
  if (typeof s.protected !== 'string' || typeof s.signature !== 'string')
    return 'the signature has no protected header';
  if (s.header !== undefined && !isObject(s.header)) return 'the unprotected header is not an object';
  return {
    payload: doc.payload,
    protected: s.protected,
    signature: s.signature,
    ...(isObject(s.header) ? { header: s.header } : {}),
  };
}

function decodeHeader(encoded: string): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return isObject(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

/** Why the protected and unprotected headers are not those of a seal this verifier understands, if they are not. */
function headerProblem(
  protectedHeader: Record<string, unknown>,
  unprotected: Record<string, unknown>,
): string | undefined {
  const unsigned = MUST_BE_SIGNED.filter((name) => Object.hasOwn(unprotected, name));
  if (unsigned.length)
    return `${unsigned.join(', ')} must be in the signed (protected) header, not the unsigned one`;
  const alg = protectedHeader.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg))
    return `alg ${String(alg)} is not a seal algorithm`;
  const crit = protectedHeader.crit;
  if (!Array.isArray(crit) || !crit.every((c) => typeof c === 'string'))
    return 'crit is missing or not a list of names';
  const unknown = crit.filter((c) => !UNDERSTOOD_CRIT.has(c as string));
  if (unknown.length) return `crit names ${unknown.join(', ')}, which this verifier does not understand`;
  const missing = ['b64', 'sigT'].filter((c) => Object.hasOwn(protectedHeader, c) && !crit.includes(c));
  if (missing.length) return `${missing.join(', ')} must be listed in crit`;
  if (protectedHeader.b64 !== false)
    return 'the payload must be unencoded (b64: false), as European Digital Credentials are';
  if (typeof protectedHeader.sigT !== 'string' || Number.isNaN(Date.parse(protectedHeader.sigT)))
    return 'sigT (the claimed signing time) is missing or not a date';
  const x5c = protectedHeader.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string'))
    return 'x5c (the sealing certificate) is missing';
  return undefined;
}

export async function verifySeal(doc: unknown, options: SealOptions = {}): Promise<SealVerdict> {
  const now = options.now ?? new Date();
  const checks: SealCheck[] = [];
  const refuse = (check: SealCheck['check'], message: string): SealVerdict => {
    checks.push({ check, ok: false, message });
    return { ok: false, trusted: false, checks };
  };

  const jws = oneSignature(doc);
  if (typeof jws === 'string') return refuse('structure', jws);
  const protectedHeader = decodeHeader(jws.protected ?? '');
  if (!protectedHeader) return refuse('structure', 'the protected header is not base64url JSON');
  checks.push({ check: 'structure', ok: true, message: 'a JWS JSON serialization with one signature' });

  const problem =
    headerProblem(protectedHeader, jws.header ?? {}) ?? sizeProblem(protectedHeader, jws.header ?? {});
  if (problem) return refuse('header', problem);
  checks.push({
    check: 'header',
    ok: true,
    message: `${String(protectedHeader.alg)}, unencoded payload, sigT signed`,
  });

  let chain: X509Certificate[];
  try {
    chain = (protectedHeader.x5c as string[]).map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch {
    return refuse('certificate', 'x5c holds something that is not an X.509 certificate');
  }
  const leaf = chain[0]!;
  const signer: SealSigner = { ...certificateFacts(leaf), holder: holderName(leaf.subject) };
  if (protectedHeader['x5t#S256'] !== undefined && protectedHeader['x5t#S256'] !== signer.fingerprint)
    return refuse('certificate', 'x5t#S256 is not the digest of the certificate in x5c');
  checks.push({
    check: 'certificate',
    ok: true,
    message: `sealed by ${signer.subject}${signer.qualified ? ' (certificate states it is qualified)' : ' (not a qualified certificate)'}`,
  });

  let payloadBytes: Uint8Array;
  try {
    const result = await flattenedVerify(jws, leaf.publicKey, {
      algorithms: ALGORITHMS,
      crit: { sigT: true, adoTst: true },
    });
    payloadBytes = result.payload;
  } catch (err) {
    return {
      ...refuse('signature', `the seal does not match the payload: ${(err as Error).message}`),
      signer,
    };
  }
  checks.push({ check: 'signature', ok: true, message: 'the seal covers these exact bytes' });

  const signedAt = protectedHeader.sigT as string;
  const at = Date.parse(signedAt);
  const [from, to] = [Date.parse(leaf.validFrom), Date.parse(leaf.validTo)];
  if (at < from || at > to)
    return { ...refuse('validity', `the certificate was not valid at sigT ${signedAt}`), signer, signedAt };
  checks.push({
    check: 'validity',
    ok: true,
    message:
      to < now.getTime()
        ? `the certificate was valid when sealed (${signedAt}) and has expired since (${signer.validTo})`
        : `the certificate was valid when sealed (${signedAt}), until ${signer.validTo}`,
  });

  // xVals may carry CA certificates x5c leaves out (the EU sample's issuing CA is there).
  const values = readValidationValues(jws.header?.etsiU);
  const xVals = typeof values === 'string' ? [] : values.certs;
  const anchors = options.trustAnchors ?? [];
  const trusted = anchors.length > 0 && chainsToAnchor(leaf, [...chain.slice(1), ...xVals], anchors);
  checks.push({
    check: 'chain',
    ok: trusted,
    message: anchors.length
      ? trusted
        ? 'the certificate chains up to a trust anchor'
        : 'the certificate does not chain up to any trust anchor'
      : 'not checked: no trust anchors given',
  });

  const stamps = await signatureTimestamps(jws.header?.etsiU, jws.signature, signedAt, anchors);
  if (typeof stamps === 'string') return { ...refuse('timestamps', stamps), signer, signedAt };
  const unverified = [
    ...(protectedHeader.adoTst !== undefined ? ['a signed data time-stamp (adoTst)'] : []),
    ...stamps.others,
  ];
  const messages = [
    ...stamps.verified.map((v) => `signature time-stamp verified: ${v.message}`),
    ...(unverified.length ? [`not verified: ${unverified.join(', ')}`] : []),
  ];
  const stampsTrusted = stamps.verified.every((v) => v.trusted);
  checks.push({
    check: 'timestamps',
    // Like the chain check: intact but from a TSA no anchor vouches for is reported, not refused.
    ok: anchors.length === 0 || stampsTrusted,
    message: messages.length ? messages.join('; ') : 'none (a baseline B-B seal)',
  });
  const timestampedAt = stamps.verified.map((v) => v.time!).sort()[0];
  const provenAt = stamps.verified
    .filter((v) => v.trusted)
    .map((v) => v.time!)
    .sort()[0];

  let revocationOk = true;
  if (typeof values === 'string') return { ...refuse('revocation', values), signer, signedAt };
  if (values.present) {
    // Revocation is judged when the seal is known to have existed: its time-stamp, or else its claimed time.
    const at = new Date(timestampedAt ?? signedAt);
    const revocation = await verifyValidationValues(values, chain, at, now);
    if ('refused' in revocation) return { ...refuse('revocation', revocation.refused), signer, signedAt };
    revocationOk = revocation.ok;
    checks.push({ check: 'revocation', ok: revocation.ok, message: revocation.message });
  }

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadBytes).toString('utf8'));
  } catch {
    return { ...refuse('structure', 'the sealed payload is not JSON'), signer, signedAt };
  }
  return {
    ok: true,
    trusted: trusted && stampsTrusted && revocationOk,
    checks,
    signer,
    signedAt,
    ...(timestampedAt ? { timestampedAt } : {}),
    ...(provenAt ? { provenAt } : {}),
    payload,
  };
}

/**
 * Verifies every signature time-stamp among the unsigned ETSI values, each over the JWS signature value as
 * serialized (ETSI TS 119 182-1 5.3.4.1): the verdicts of those that hold and the names of the values not
 * verified, or why a time-stamp or value refuses the seal.
 */
async function signatureTimestamps(
  etsiU: unknown,
  signature: string,
  signedAt: string,
  anchors: X509Certificate[],
): Promise<{ verified: TimestampVerdict[]; others: string[] } | string> {
  if (etsiU === undefined) return { verified: [], others: [] };
  if (!Array.isArray(etsiU)) return 'etsiU (the unsigned ETSI values) is not a list';
  const input = signatureTimestampInput(signature);
  const verified: TimestampVerdict[] = [];
  const others: string[] = [];
  let tokenCount = 0;
  for (const [i, entry] of etsiU.entries()) {
    const value = decodeEtsiU(entry);
    const names = value ? Object.keys(value) : [];
    if (!value || names.length !== 1) return `etsiU entry ${i + 1} is not one base64url JSON ETSI value`;
    const name = names[0]!;
    // Validation data is verified with the revocation check.
    if (name === 'xVals' || name === 'rVals') continue;
    if (name !== 'sigTst') {
      others.push(name);
      continue;
    }
    const tokens = isObject(value.sigTst) ? value.sigTst.tstTokens : undefined;
    if (!Array.isArray(tokens) || tokens.length === 0)
      return `the sigTst of etsiU entry ${i + 1} has no tstTokens`;
    tokenCount += tokens.length;
    if (tokenCount > SEAL_LIMITS.timestamps)
      return `more than ${SEAL_LIMITS.timestamps} signature time-stamp tokens; at most that many are read`;
    for (const token of tokens) {
      if (!isObject(token) || typeof token.val !== 'string')
        return `a sigTst token of etsiU entry ${i + 1} has no val (a DER time-stamp token in base64)`;
      const verdict = await verifyTimestamp(Buffer.from(token.val, 'base64'), input, {
        trustAnchors: anchors,
      });
      if (!verdict.ok) return `signature time-stamp refused: ${verdict.message}`;
      // A time-stamp of the signature cannot predate it; a second of slack for times truncated to the second.
      if (Date.parse(verdict.time!) < Date.parse(signedAt) - 1000)
        return `signature time-stamp refused: it is dated ${verdict.time}, before the claimed signing time ${signedAt}`;
      verified.push(verdict);
    }
  }
  return { verified, others };
}
