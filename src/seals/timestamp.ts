import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { isObject } from '../credentials/json-values.js';
import { outboundFetch, type OutboundFetch } from '../net/outbound.js';
import type { SealedDocument } from './jades-seal.js';
import { chainsToAnchor } from './certificates.js';
import { readLimitedBody } from '../net/limited-body.js';

/**
 * RFC 3161 time-stamps for JAdES seals (ETSI TS 119 182-1): asking a time-stamping authority (TSA) for a token,
 * verifying one, and turning a baseline B-B seal into B-T with a signature time-stamp (`sigTst`).
 *
 * What a `sigTst` covers, as the EU's sealed sample shows: SHA-256 over the ASCII bytes of the JWS `signature`
 * member as it is serialized (base64url text), not over the decoded signature bytes (clause 5.3.4.1).
 */

/** What a time-stamp token says, and whether it holds. */
export interface TimestampVerdict {
  /** The token is intact, signed by a time-stamping certificate, and covers the input given. */
  ok: boolean;
  /** When the TSA says the input existed (genTime), ISO 8601. */
  time?: string;
  /** The TSA certificate's subject. */
  tsa?: string;
  /** The TSA certificate chains up to one of the trust anchors given. */
  trusted: boolean;
  message: string;
}

/** A TSA that could not give a usable token: what went wrong, naming its host only (a URL may hold credentials). */
export class TimestampError extends Error {
  constructor(
    readonly host: string,
    problem: string,
  ) {
    super(`time-stamp authority ${host}: ${problem}`);
    this.name = 'TimestampError';
  }
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_EKU = '2.5.29.37';
const OID_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** Imprint algorithms accepted in a token; SHA-1 and MD5 are not (collisions would let one token cover two seals). */
const IMPRINT_HASHES: Record<string, string> = {
  [OID_SHA256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};
/** A token with its TSA's chain is a few KB; anything near this is not a time-stamp reply. */
const MAX_REPLY_BYTES = 1024 * 1024;
const TIMEOUT_MS = 15_000;

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The host of a TSA URL, without user info, path or query. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the address';
  }
}

interface ParsedToken {
  signedData: pkijs.SignedData;
  tstInfo: pkijs.TSTInfo;
}

/** The SignedData and TSTInfo of a DER TimeStampToken (a CMS ContentInfo), or why it is not one. */
function parseToken(token: Uint8Array): ParsedToken | string {
  try {
    const contentInfo = pkijs.ContentInfo.fromBER(toArrayBuffer(token));
    if (contentInfo.contentType !== OID_SIGNED_DATA) return 'not a CMS SignedData';
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    const { eContentType, eContent } = signedData.encapContentInfo;
    if (eContentType !== OID_TST_INFO || !eContent) return 'its content is not a TSTInfo';
    return { signedData, tstInfo: pkijs.TSTInfo.fromBER(eContent.getValue()) };
  } catch {
    return 'not a DER time-stamp token';
  }
}

/** PKIStatus names (RFC 3161 2.4.2), for error messages. */
const STATUS_NAMES = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];

/**
 * Asks the TSA at `tsaUrl` for a token over SHA-256 of `imprintInput` (RFC 3161 over HTTP), with a fresh nonce and
 * its certificate included. Returns the DER TimeStampToken exactly as the TSA sent it; refuses an answer that is
 * not a granted time-stamp reply for this very request (its nonce and imprint).
 */
export async function requestTimestamp(
  imprintInput: Uint8Array,
  tsaUrl: string,
  fetch: OutboundFetch = outboundFetch,
): Promise<Uint8Array> {
  const host = hostOf(tsaUrl);
  const fail = (problem: string) => new TimestampError(host, problem);
  const imprint = createHash('sha256').update(imprintInput).digest();
  const nonce = randomBytes(16);
  // A positive INTEGER in minimal DER: top bit clear (not negative), first byte not zero (no padding).
  nonce[0] = (nonce[0]! & 0x7f) | 0x40;
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(imprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
  });
  // Errors of outboundFetch (OutboundError) already name the host alone.
  const res = await fetch(tsaUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
    body: new Uint8Array(request.toSchema().toBER()),
    // A redirected POST would become a GET: a TSA has no reason to redirect.
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!res.ok || type !== 'application/timestamp-reply') {
    await res.body?.cancel().catch(() => undefined);
    throw fail(
      res.ok
        ? `answered ${type || 'without a content type'}, not application/timestamp-reply`
        : `answered HTTP ${res.status}`,
    );
  }
  const body = await readLimitedBody(res, MAX_REPLY_BYTES);
  if (!body) throw fail(`answered more than ${MAX_REPLY_BYTES} bytes`);

  let response: pkijs.TimeStampResp;
  let tokenBytes: Uint8Array | undefined;
  try {
    const asn1 = asn1js.fromBER(toArrayBuffer(body));
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    response = new pkijs.TimeStampResp({ schema: asn1.result });
    // The token's own bytes, not a re-encoding: they are what the TSA signed around.
    const parts = (asn1.result as asn1js.Sequence).valueBlock.value;
    if (parts[1]) tokenBytes = new Uint8Array(parts[1].valueBeforeDecodeView);
  } catch {
    throw fail('its answer is not an RFC 3161 TimeStampResp');
  }
  const { status, statusStrings } = response.status;
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    const text = (statusStrings ?? []).map((s) => s.valueBlock.value).join('; ');
    throw fail(
      `refused the request (${STATUS_NAMES[status] ?? `status ${status}`})${text ? `: ${text}` : ''}`,
    );
  }
  if (!tokenBytes) throw fail('granted the request but sent no token');
  const parsed = parseToken(tokenBytes);
  if (typeof parsed === 'string') throw fail(`its token is ${parsed}`);
  const { tstInfo } = parsed;
  const answeredNonce = tstInfo.nonce ? new Uint8Array(tstInfo.nonce.valueBlock.valueHexView) : undefined;
  if (!answeredNonce || !bytesEqual(answeredNonce, nonce))
    throw fail('its token does not carry the nonce of this request (a replayed or mixed-up answer)');
  const { hashAlgorithm, hashedMessage } = tstInfo.messageImprint;
  if (
    hashAlgorithm.algorithmId !== OID_SHA256 ||
    !bytesEqual(new Uint8Array(hashedMessage.valueBlock.valueHexView), imprint)
  )
    throw fail('its token covers other data than was sent (the message imprint differs)');
  return tokenBytes;
}

/** The certificates of a token in Node's form, the signer's found by pkijs. */
function nodeCertificate(cert: pkijs.Certificate): X509Certificate {
  return new X509Certificate(Buffer.from(cert.toSchema().toBER()));
}

/** Why a TSA certificate may not sign time-stamps (RFC 3161 2.3: the one, critical, purpose timeStamping). */
function notATsaCertificate(cert: pkijs.Certificate): string | undefined {
  const eku = cert.extensions?.find((e) => e.extnID === OID_EKU);
  const purposes = eku?.parsedValue instanceof pkijs.ExtKeyUsage ? eku.parsedValue.keyPurposes : [];
  if (!eku || !purposes.includes(OID_TIME_STAMPING))
    return 'its certificate is not for time-stamping (no extended key usage timeStamping)';
  if (!eku.critical || purposes.length !== 1)
    return 'its certificate’s extended key usage must be timeStamping alone, and critical';
  return undefined;
}

/**
 * Verifies a DER TimeStampToken over `imprintInput`: the message imprint (with the token's own hash algorithm),
 * the TSA's CMS signature with the certificate the token carries, that certificate's purpose (timeStamping) and
 * validity at the time-stamp's time, and whether it chains up to one of the trust anchors. Never throws.
 */
export async function verifyTimestamp(
  token: Uint8Array,
  imprintInput: Uint8Array,
  options: { trustAnchors?: X509Certificate[] } = {},
): Promise<TimestampVerdict> {
  const refuse = (message: string, more: Partial<TimestampVerdict> = {}): TimestampVerdict => ({
    ok: false,
    trusted: false,
    message,
    ...more,
  });
  const parsed = parseToken(token);
  if (typeof parsed === 'string') return refuse(`the time-stamp is ${parsed}`);
  const { signedData, tstInfo } = parsed;
  const time = tstInfo.genTime.toISOString();

  const { hashAlgorithm, hashedMessage } = tstInfo.messageImprint;
  const hash = IMPRINT_HASHES[hashAlgorithm.algorithmId];
  if (!hash) return refuse(`the time-stamp's imprint algorithm ${hashAlgorithm.algorithmId} is not accepted`);
  const expected = createHash(hash).update(imprintInput).digest();
  if (!bytesEqual(new Uint8Array(hashedMessage.valueBlock.valueHexView), expected))
    return refuse('the time-stamp covers other data (its message imprint does not match)', { time });

  if (!signedData.certificates?.length)
    return refuse('the time-stamp carries no TSA certificate to verify it with', { time });
  let signer: pkijs.Certificate | undefined;
  try {
    const result = await signedData.verify({
      signer: 0,
      data: toArrayBuffer(imprintInput),
      extendedMode: true,
    });
    if (result.signatureVerified) signer = result.signerCertificate ?? undefined;
  } catch {
    // pkijs throws for a digest that does not match the signed attributes: the token was changed.
  }
  if (!signer)
    return refuse('the TSA signature does not match the time-stamp (changed after signing)', { time });

  const tsaCert = nodeCertificate(signer);
  const tsa = tsaCert.subject.replace(/\n/g, ', ');
  const purpose = notATsaCertificate(signer);
  if (purpose) return refuse(`the time-stamp's TSA ${tsa}: ${purpose}`, { time, tsa });
  const at = tstInfo.genTime.getTime();
  if (at < Date.parse(tsaCert.validFrom) || at > Date.parse(tsaCert.validTo))
    return refuse(`the TSA certificate of ${tsa} was not valid at the time-stamp's time ${time}`, {
      time,
      tsa,
    });

  const anchors = options.trustAnchors ?? [];
  const others = signedData.certificates
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate && c !== signer)
    .map(nodeCertificate);
  const trusted = anchors.length > 0 && chainsToAnchor(tsaCert, others, anchors);
  return {
    ok: true,
    time,
    tsa,
    trusted,
    message: `time-stamped at ${time} by ${tsa}${
      anchors.length
        ? trusted
          ? ', a TSA chaining up to a trust anchor'
          : ', a TSA that does not chain up to any trust anchor'
        : ' (TSA not checked: no trust anchors given)'
    }`,
  };
}

/** The input of a signature time-stamp: the JWS signature value as serialized (base64url text, ASCII bytes). */
export function signatureTimestampInput(signature: string): Uint8Array {
  return new TextEncoder().encode(signature);
}

/** One unsigned ETSI value (`etsiU` entry) as JSON: JAdES encodes each as base64url JSON; clear JSON is read too. */
export function decodeEtsiU(entry: unknown): Record<string, unknown> | undefined {
  if (isObject(entry)) return entry;
  if (typeof entry !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(entry, 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An `etsiU` entry in the EU sample's encoding: base64url of the JSON, the token in standard base64 (DER). */
function encodeSigTst(token: Uint8Array): string {
  const value = { sigTst: { tstTokens: [{ val: Buffer.from(token).toString('base64') }] } };
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * A JAdES baseline B-T copy of a B-B seal: a signature time-stamp from the TSA at `tsaUrl` added to the unsigned
 * header (`etsiU`), as the EU sample carries it. The signed parts are not touched; the token is verified before
 * it is added, so a TSA's broken answer never ends up in a credential.
 */
export async function addSignatureTimestamp(
  doc: SealedDocument,
  tsaUrl: string,
  fetch: OutboundFetch = outboundFetch,
): Promise<SealedDocument> {
  const [signature, ...more] = doc.signatures;
  if (!signature || more.length)
    throw new Error('a sealed credential has exactly one signature to time-stamp');
  const etsiU: unknown = signature.header?.etsiU ?? [];
  if (!Array.isArray(etsiU)) throw new Error('the seal’s etsiU is not a list');
  // Validation data and archive time-stamps come after, and cover, the signature time-stamps: none may exist yet.
  const later = etsiU.map(decodeEtsiU).some((v) => !v || Object.keys(v).some((k) => k !== 'sigTst'));
  if (later)
    throw new Error('the seal already holds unsigned values beyond signature time-stamps (B-LT, B-LTA)');
  const input = signatureTimestampInput(signature.signature);
  const token = await requestTimestamp(input, tsaUrl, fetch);
  const verdict = await verifyTimestamp(token, input);
  if (!verdict.ok) throw new TimestampError(hostOf(tsaUrl), verdict.message);
  return {
    payload: doc.payload,
    signatures: [{ ...signature, header: { ...signature.header, etsiU: [...etsiU, encodeSigTst(token)] } }],
  };
}
