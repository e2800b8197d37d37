import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { isObject } from '../credentials/json-values.js';
import { OutboundError, outboundFetch, type OutboundFetch } from '../net/outbound.js';
import type { SealedDocument } from './jades-seal.js';
import { decodeEtsiU } from './timestamp.js';
import { readLimitedBody } from '../net/limited-body.js';

/**
 * JAdES baseline B-LT (ETSI TS 119 182-1): the validation data a B-T seal needs to be checked once its CA's
 * services are gone, added to the unsigned header (`etsiU`), and read back by the verifier.
 *
 * The encoding is the EU sealed sample's (made by the EU's DSS): after the `sigTst` entries, one entry
 * `{"xVals":[{"x509Cert":{"val":<DER, base64>}}, ...]}` with the certificates validation needs that x5c does
 * not already carry (DSS leaves x5c's out), then one entry
 * `{"rVals":{"crlVals":[{"val":...}],"ocspVals":[{"val":...}]}}` with whole DER CRLs and whole DER OCSPResponses
 * (status and responseBytes, not only the BasicOCSPResponse); each entry base64url JSON, as the `sigTst` ones.
 */

const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OID_CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const OID_CRL_REASON = '2.5.29.21';
/** Hashes a CertID may use: RFC 6960 profiles require SHA-1 in requests, some responders answer with SHA-2. */
const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** OCSPResponseStatus names (RFC 6960 4.2.1); 4 is not used. */
const OCSP_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '',
  'sigRequired',
  'unauthorized',
];
/** CRLReason names (RFC 5280 5.3.1); 7 is not used. */
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  '',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];
/** An OCSP response with its responder's certificate is a few KB. */
const MAX_OCSP_BYTES = 256 * 1024;
/** Every byte of a CRL is copied, in base64, into each credential: a bigger one is not worth embedding. */
const MAX_CRL_BYTES = 2 * 1024 * 1024;
/** Per request to a responder or CRL host, and for all of one seal's validation data: under the job's claim timeout. */
const TIMEOUT_MS = 5_000;
const DEADLINE_MS = 20_000;
/** OCSP responders and CRL distribution points tried per certificate, of each kind: a certificate may name many. */
const MAX_URLS = 2;
/** Clock difference tolerated between this server and a responder. */
const SKEW_MS = 5 * 60_000;
/** How old a response without nextUpdate may be and still say something about now. */
const MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 24 * 3600_000;

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const iso = (d: Date) => d.toISOString();
/** A certificate's subject on one line, as the time-stamp messages print a TSA's. */
const nameOf = (cert: X509Certificate) => cert.subject.replace(/\n/g, ', ');

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the address';
  }
}

const pkiCache = new WeakMap<X509Certificate, pkijs.Certificate>();
/** pkijs's view of a certificate (names and keys as encoded), for CertIDs and CRL and OCSP signatures. */
function pkiOf(cert: X509Certificate): pkijs.Certificate {
  let parsed = pkiCache.get(cert);
  if (!parsed) {
    parsed = pkijs.Certificate.fromBER(toArrayBuffer(cert.raw));
    pkiCache.set(cert, parsed);
  }
  return parsed;
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

const sameCert = (a: X509Certificate, b: X509Certificate) => a.fingerprint256 === b.fingerprint256;
function unique(certs: X509Certificate[]): X509Certificate[] {
  return certs.filter((c, i) => certs.findIndex((d) => sameCert(c, d)) === i);
}

/** Whether a signature verifies; undefined when its algorithm or key cannot be used here. */
async function signatureHolds(
  data: Uint8Array,
  signature: asn1js.BitString,
  signer: X509Certificate,
  algorithm: pkijs.AlgorithmIdentifier,
): Promise<boolean | undefined> {
  try {
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(toArrayBuffer(data), signature, pkiOf(signer).subjectPublicKeyInfo, algorithm);
  } catch {
    return undefined;
  }
}

/** What one revocation value says of one certificate. */
export interface CertificateStatus {
  cert: X509Certificate;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
}

/**
 * One OCSP response or CRL, checked: signed by whom, when, and what it says of the certificates it was matched
 * to. `tampered` tells a value that is broken or signed by someone not entitled to (a seal carrying it is refused)
 * from one that cannot be checked here (its signer's certificate is missing, a partial CRL).
 */
export type RevocationReading =
  | {
      ok: true;
      kind: 'OCSP' | 'CRL';
      signer: X509Certificate;
      /** producedAt of an OCSP response, thisUpdate of a CRL. */
      signedAt: Date;
      /** The certificates an OCSP response carries. */
      embedded: X509Certificate[];
      statuses: CertificateStatus[];
      nonce?: Uint8Array;
    }
  | { ok: false; tampered: boolean; problem: string };

function certIdMatches(id: pkijs.CertID, cert: X509Certificate, issuer: X509Certificate): boolean {
  const hash = CERT_ID_HASHES[id.hashAlgorithm.algorithmId];
  if (!hash) return false;
  const issuerPki = pkiOf(issuer);
  const nameHash = createHash(hash).update(new Uint8Array(issuerPki.subject.toSchema().toBER())).digest();
  const keyHash = createHash(hash)
    .update(issuerPki.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
  return (
    bytesEqual(id.issuerNameHash.valueBlock.valueHexView, nameHash) &&
    bytesEqual(id.issuerKeyHash.valueBlock.valueHexView, keyHash) &&
    bytesEqual(id.serialNumber.valueBlock.valueHexView, pkiOf(cert).serialNumber.valueBlock.valueHexView)
  );
}

/** The status, time and reason of a SingleResponse's certStatus CHOICE (good [0], revoked [1], unknown [2]). */
function ocspStatus(certStatus: unknown): Pick<CertificateStatus, 'status' | 'revokedAt' | 'reason'> {
  const choice = certStatus as asn1js.BaseBlock;
  const tag = choice.idBlock?.tagNumber;
  if (tag === 0) return { status: 'good' };
  if (tag !== 1 || !(choice instanceof asn1js.Constructed)) return { status: 'unknown' };
  const [time, reasonTag] = choice.valueBlock.value;
  const reasonValue = reasonTag instanceof asn1js.Constructed ? reasonTag.valueBlock.value[0] : undefined;
  const reason =
    reasonValue instanceof asn1js.Enumerated ? REASONS[reasonValue.valueBlock.valueDec] : undefined;
  return {
    status: 'revoked',
    ...(time instanceof asn1js.GeneralizedTime ? { revokedAt: time.toDate() } : {}),
    ...(reason ? { reason } : {}),
  };
}

/** The first of the candidates whose key verifies the signature, and whether one could not be tried at all. */
async function signerAmong(
  candidates: X509Certificate[],
  data: Uint8Array,
  signature: asn1js.BitString,
  algorithm: pkijs.AlgorithmIdentifier,
): Promise<{ signer?: X509Certificate; unusable: boolean }> {
  let unusable = false;
  for (const candidate of candidates) {
    const holds = await signatureHolds(data, signature, candidate, algorithm);
    if (holds) return { signer: candidate, unusable };
    if (holds === undefined) unusable = true;
  }
  return { unusable };
}

/**
 * Reads a DER OCSPResponse: successful, basic, signed (over its ResponseData as encoded) by the responder it
 * names, found among its own certificates or `known`; and for each answer about a certificate of `known` issued
 * by another of them, the status, provided the signer is that issuer or a responder it delegated
 * (id-kp-OCSPSigning, issued by it, valid when it signed). Never throws.
 */
export async function readOcspResponse(
  der: Uint8Array,
  known: X509Certificate[],
): Promise<RevocationReading> {
  const tampered = (problem: string): RevocationReading => ({ ok: false, tampered: true, problem });
  let basic: pkijs.BasicOCSPResponse;
  try {
    const response = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0)
      return tampered(`is an unsigned refusal (${OCSP_STATUS[status] || `status ${status}`})`);
    if (response.responseBytes?.responseType !== OID_OCSP_BASIC)
      return tampered('is not a basic OCSP response');
    basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  } catch {
    return tampered('is not a DER OCSP response');
  }
  if ((basic.certs?.length ?? 0) > MAX_VALUES || basic.tbsResponseData.responses.length > MAX_VALUES)
    return tampered(`carries more than ${MAX_VALUES} certificates or answers; at most that many are read`);
  let embedded: X509Certificate[];
  try {
    embedded = (basic.certs ?? []).map((c) => new X509Certificate(Buffer.from(c.toSchema().toBER())));
  } catch {
    return tampered('carries a certificate that is not X.509');
  }
  const candidates = unique([...embedded, ...known]);
  const data = basic.tbsResponseData;
  const responderId: unknown = data.responderID;
  const named = candidates.filter((c) => {
    if (responderId instanceof pkijs.RelativeDistinguishedNames) return pkiOf(c).subject.isEqual(responderId);
    if (responderId instanceof asn1js.OctetString) {
      const key = pkiOf(c).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
      return bytesEqual(createHash('sha1').update(key).digest(), responderId.valueBlock.valueHexView);
    }
    return false;
  });
  const { signer, unusable } = await signerAmong(
    named,
    data.tbsView,
    basic.signature,
    basic.signatureAlgorithm,
  );
  if (!signer) {
    if (!named.length)
      return { ok: false, tampered: false, problem: 'names a responder whose certificate is not at hand' };
    if (unusable)
      return { ok: false, tampered: false, problem: 'is signed with an algorithm or key not supported here' };
    return tampered('does not match its responder’s signature (changed after signing)');
  }

  const producedAt = data.producedAt;
  const statuses: CertificateStatus[] = [];
  for (const single of data.responses) {
    const issuer = candidates.find((i) =>
      candidates.some((c) => !sameCert(c, i) && certIdMatches(single.certID, c, i) && issuedBy(c, i)),
    );
    const cert =
      issuer &&
      candidates.find(
        (c) => !sameCert(c, issuer) && certIdMatches(single.certID, c, issuer) && issuedBy(c, issuer),
      );
    if (!issuer || !cert) continue; // about a certificate not at hand: nothing to say of it
    if (!sameCert(signer, issuer)) {
      const delegated = issuedBy(signer, issuer) && (signer.keyUsage ?? []).includes(OID_OCSP_SIGNING);
      if (!delegated)
        return tampered(
          `is signed by ${nameOf(signer)}, neither the CA of ${nameOf(cert)} nor an OCSP responder it delegated`,
        );
      const at = producedAt.getTime();
      if (at < Date.parse(signer.validFrom) || at > Date.parse(signer.validTo))
        return tampered(
          `is signed by ${nameOf(signer)} at ${iso(producedAt)}, outside its certificate’s validity`,
        );
    }
    statuses.push({
      cert,
      ...ocspStatus(single.certStatus),
      thisUpdate: single.thisUpdate,
      ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    });
  }
  const nonce = data.responseExtensions?.find((e) => e.extnID === OID_OCSP_NONCE)?.extnValue.valueBlock
    .valueHexView;
  return {
    ok: true,
    kind: 'OCSP',
    signer,
    signedAt: producedAt,
    embedded,
    statuses,
    ...(nonce ? { nonce: new Uint8Array(nonce) } : {}),
  };
}

/** The scope an issuing distribution point limits a CRL to, or why the CRL is not a complete one. */
function crlScope(crl: pkijs.CertificateRevocationList): { caOnly?: boolean; userOnly?: boolean } | string {
  const scope: { caOnly?: boolean; userOnly?: boolean } = {};
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (ext.extnID === OID_ISSUING_DISTRIBUTION_POINT) {
      const idp = ext.parsedValue as pkijs.IssuingDistributionPoint | undefined;
      if (!idp) return 'its issuing distribution point cannot be read';
      if (idp.indirectCRL || idp.onlySomeReasons !== undefined || idp.onlyContainsAttributeCerts)
        return 'a partial CRL (some reasons, attribute certificates, or indirect)';
      scope.caOnly = idp.onlyContainsCACerts;
      scope.userOnly = idp.onlyContainsUserCerts;
    } else if (ext.critical && ext.extnID !== OID_CRL_NUMBER && ext.extnID !== OID_AUTHORITY_KEY_ID) {
      // A delta CRL (2.5.29.27) lists changes only; other critical extensions are not understood.
      return `a CRL with critical extension ${ext.extnID}, not a complete CRL this verifier understands`;
    }
  }
  return scope;
}

/**
 * Reads a DER CRL: signed (over its TBSCertList as encoded) by a certificate of `known` of its issuer's name, a
 * complete CRL, and whether each certificate of `known` that issuer issued is on it. Never throws.
 */
export async function readCrl(der: Uint8Array, known: X509Certificate[]): Promise<RevocationReading> {
  let crl: pkijs.CertificateRevocationList;
  try {
    crl = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
  } catch {
    return { ok: false, tampered: true, problem: 'is not a DER CRL' };
  }
  const named = known.filter((c) => pkiOf(c).subject.isEqual(crl.issuer));
  const { signer: issuer, unusable } = await signerAmong(
    named,
    crl.tbsView,
    crl.signatureValue,
    crl.signatureAlgorithm,
  );
  if (!issuer) {
    if (!named.length)
      return { ok: false, tampered: false, problem: 'is issued by a CA whose certificate is not at hand' };
    if (unusable)
      return { ok: false, tampered: false, problem: 'is signed with an algorithm or key not supported here' };
    return {
      ok: false,
      tampered: true,
      problem: 'does not match its issuer’s signature (changed after signing)',
    };
  }
  const thisUpdateTime = crl.thisUpdate.value.getTime();
  if (thisUpdateTime < Date.parse(issuer.validFrom) || thisUpdateTime > Date.parse(issuer.validTo))
    return { ok: false, tampered: false, problem: 'was issued when its CA’s certificate was not valid' };
  const scope = crlScope(crl);
  if (typeof scope === 'string') return { ok: false, tampered: false, problem: `is ${scope}` };
  const thisUpdate = crl.thisUpdate.value;
  const nextUpdate = crl.nextUpdate?.value;
  const statuses: CertificateStatus[] = [];
  for (const cert of known) {
    if (sameCert(cert, issuer) || !issuedBy(cert, issuer)) continue;
    if ((scope.caOnly && !cert.ca) || (scope.userOnly && cert.ca)) continue;
    const serial = pkiOf(cert).serialNumber.valueBlock.valueHexView;
    const entry = crl.revokedCertificates?.find((r) =>
      bytesEqual(r.userCertificate.valueBlock.valueHexView, serial),
    );
    const reasonExt = entry?.crlEntryExtensions?.extensions.find((e) => e.extnID === OID_CRL_REASON);
    const reasonCode =
      reasonExt?.parsedValue instanceof asn1js.Enumerated
        ? reasonExt.parsedValue.valueBlock.valueDec
        : undefined;
    const reason = reasonCode === undefined ? undefined : REASONS[reasonCode];
    statuses.push({
      cert,
      status: entry ? 'revoked' : 'good',
      ...(entry ? { revokedAt: entry.revocationDate.value } : {}),
      ...(reason ? { reason } : {}),
      thisUpdate,
      ...(nextUpdate ? { nextUpdate } : {}),
    });
  }
  return { ok: true, kind: 'CRL', signer: issuer, signedAt: thisUpdate, embedded: [], statuses };
}

// ---------------------------------------------------------------------------------------------------------------
// Adding validation data (B-T to B-LT)

/** A certificate of the seal reported revoked by its own CA's service: sealing with it must stop. */
export class RevokedCertificateError extends Error {
  constructor(
    readonly subject: string,
    readonly revokedAt: Date | undefined,
    readonly reason: string | undefined,
    source: string,
  ) {
    super(
      `the certificate ${subject} was revoked${revokedAt ? ` on ${iso(revokedAt)}` : ''}` +
        `${reason ? ` (${reason})` : ''}, says ${source}: a seal may not be made with it`,
    );
    this.name = 'RevokedCertificateError';
  }
}

/** One service's answer that cannot be used: the service (by host) and the problem. */
class ServiceProblem extends Error {}

/** The http(s) OCSP URLs of a certificate's authority information access. */
function ocspUrlsOf(cert: X509Certificate): string[] {
  return (cert.infoAccess ?? '')
    .split('\n')
    .filter((line) => line.startsWith('OCSP - URI:'))
    .map((line) => {
      const value = line.slice('OCSP - URI:'.length);
      // Node quotes a value holding special characters as a JSON string.
      try {
        return value.startsWith('"') ? (JSON.parse(value) as string) : value;
      } catch {
        return '';
      }
    })
    .filter((url) => /^https?:\/\//i.test(url));
}

/** The http(s) URLs of a certificate's CRL distribution points (full names; not indirect or partial CRLs). */
function crlUrlsOf(cert: X509Certificate): string[] {
  const ext = pkiOf(cert).extensions?.find((e) => e.extnID === OID_CRL_DISTRIBUTION_POINTS);
  const points =
    ext?.parsedValue instanceof pkijs.CRLDistributionPoints ? ext.parsedValue.distributionPoints : [];
  return points
    .filter((p) => !p.cRLIssuer && !p.reasons && Array.isArray(p.distributionPoint))
    .flatMap((p) => p.distributionPoint as pkijs.GeneralName[])
    .filter((name) => name.type === 6 && typeof name.value === 'string')
    .map((name) => name.value as string)
    .filter((url) => /^https?:\/\//i.test(url));
}

/** What an outbound failure was, for the caller's log: the guard's refusal or the network error, host only. */
function failureOf(err: unknown): string {
  if (!(err instanceof OutboundError)) return err instanceof Error ? err.message : String(err);
  const causes: string[] = [];
  let e: unknown = err.cause;
  while (e instanceof Object && causes.length < 3) {
    const { message, cause } = e as { message?: unknown; cause?: unknown };
    if (typeof message === 'string' && message !== 'fetch failed') causes.push(message);
    e = cause;
  }
  return causes.length ? `${err.message} (${causes.join(': ')})` : err.message;
}

/** Why a status's times do not say anything about now, if they do not. */
function staleness(status: CertificateStatus, now: number): string | undefined {
  if (status.thisUpdate.getTime() > now + SKEW_MS)
    return `it is dated in the future (${iso(status.thisUpdate)})`;
  // No slack here: a value current until now also covers the time-stamp, moments ago, for the verifier.
  if (status.nextUpdate && status.nextUpdate.getTime() < now)
    return `it is stale (its next update was due ${iso(status.nextUpdate)})`;
  if (!status.nextUpdate && status.thisUpdate.getTime() < now - MAX_AGE_WITHOUT_NEXT_UPDATE_MS)
    return `it is stale (issued ${iso(status.thisUpdate)}, with no next update)`;
  return undefined;
}

interface Fetched {
  kind: 'OCSP' | 'CRL';
  der: Uint8Array;
  /** Certificates the value needs besides the seal's chain (a delegated OCSP responder's). */
  certs: X509Certificate[];
}

/** The status a reading gives `cert`, checked for use now; throws for a revoked certificate. */
function usableStatus(
  reading: RevocationReading,
  cert: X509Certificate,
  source: string,
  now: number,
): CertificateStatus {
  if (!reading.ok) throw new ServiceProblem(`${source}: its answer ${reading.problem}`);
  const status = reading.statuses.find((s) => sameCert(s.cert, cert));
  if (!status) throw new ServiceProblem(`${source}: its answer does not cover ${nameOf(cert)}`);
  const stale = staleness(status, now);
  if (stale) throw new ServiceProblem(`${source}: ${stale}`);
  if (status.status === 'revoked')
    throw new RevokedCertificateError(nameOf(cert), status.revokedAt, status.reason, source);
  if (status.status === 'unknown') throw new ServiceProblem(`${source}: it does not know ${nameOf(cert)}`);
  return status;
}

/** POSTs an OCSP request (SHA-1 CertID, RFC 5019/6960, with a nonce) and checks the answer. */
async function fetchOcsp(
  url: string,
  cert: X509Certificate,
  issuer: X509Certificate,
  fetch: OutboundFetch,
  timeoutMs: number,
): Promise<Fetched> {
  const source = `OCSP responder ${hostOf(url)}`;
  const nonce = randomBytes(16);
  const nonceValue = new Uint8Array(new asn1js.OctetString({ valueHex: toArrayBuffer(nonce) }).toBER());
  const certId = await pkijs.CertID.create(pkiOf(cert), {
    hashAlgorithm: 'SHA-1',
    issuerCertificate: pkiOf(issuer),
  });
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [new pkijs.Request({ reqCert: certId })],
      requestExtensions: [
        new pkijs.Extension({
          extnID: OID_OCSP_NONCE,
          critical: false,
          extnValue: toArrayBuffer(nonceValue),
        }),
      ],
    }),
  });
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: new Uint8Array(request.toSchema(true).toBER()),
      // A redirected POST would become a GET: a responder has no reason to redirect.
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ServiceProblem(`${source}: ${failureOf(err)}`);
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!res.ok || type !== 'application/ocsp-response') {
    await res.body?.cancel().catch(() => undefined);
    throw new ServiceProblem(
      `${source}: answered ${res.ok ? type || 'without a content type' : `HTTP ${res.status}`}, not an OCSP response`,
    );
  }
  const der = await readLimitedBody(res, MAX_OCSP_BYTES);
  if (!der) throw new ServiceProblem(`${source}: answered more than ${MAX_OCSP_BYTES} bytes`);
  const reading = await readOcspResponse(der, [cert, issuer]);
  // A responder that answers nonces must answer ours: another nonce is a replayed answer.
  if (reading.ok && reading.nonce && !bytesEqual(reading.nonce, nonceValue))
    throw new ServiceProblem(`${source}: its answer carries another request’s nonce (replayed)`);
  usableStatus(reading, cert, source, Date.now());
  const signer = reading.ok ? reading.signer : issuer;
  return { kind: 'OCSP', der, certs: sameCert(signer, issuer) ? [] : [signer] };
}

/** GETs a DER CRL and checks it covers `cert`, signed by `issuer`, and is current. */
async function fetchCrl(
  url: string,
  cert: X509Certificate,
  issuer: X509Certificate,
  fetch: OutboundFetch,
  timeoutMs: number,
): Promise<Fetched> {
  const source = `CRL at ${hostOf(url)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new ServiceProblem(`${source}: ${failureOf(err)}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new ServiceProblem(`${source}: answered HTTP ${res.status}`);
  }
  const der = await readLimitedBody(res, MAX_CRL_BYTES);
  if (!der)
    throw new ServiceProblem(`${source}: more than ${MAX_CRL_BYTES} bytes, too big to embed in a credential`);
  usableStatus(await readCrl(der, [cert, issuer]), cert, source, Date.now());
  return { kind: 'CRL', der, certs: [] };
}

/**
 * Revocation data for `cert`: its first OCSP responders, then its first CRLs, each request bounded by what is left
 * before `deadline`. Asked afresh for every seal, so a revocation stops the next one. Why none could be had, if so.
 */
async function revocationData(
  cert: X509Certificate,
  issuer: X509Certificate,
  label: string,
  fetch: OutboundFetch,
  deadline: number,
): Promise<Fetched | string> {
  const ocsp = ocspUrlsOf(cert).slice(0, MAX_URLS);
  const crl = crlUrlsOf(cert).slice(0, MAX_URLS);
  if (!ocsp.length && !crl.length) return `${label} names no OCSP responder and no CRL distribution point`;
  const problems: string[] = [];
  const attempts = [
    ...ocsp.map((url) => (ms: number) => fetchOcsp(url, cert, issuer, fetch, ms)),
    ...crl.map((url) => (ms: number) => fetchCrl(url, cert, issuer, fetch, ms)),
  ];
  for (const attempt of attempts) {
    const left = deadline - Date.now();
    if (left <= 0) {
      problems.push(`no answer within ${DEADLINE_MS / 1000} s`);
      break;
    }
    try {
      return await attempt(Math.min(TIMEOUT_MS, left));
    } catch (err) {
      if (!(err instanceof ServiceProblem)) throw err; // a revoked certificate, or a bug
      problems.push(err.message);
    }
  }
  return `no revocation data for ${label}: ${problems.join('; ')}`;
}

/** An `etsiU` entry as the EU sample encodes them: base64url of the one-member JSON object. */
const etsiUEntry = (value: Record<string, unknown>) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
/** A pkiOb of ETSI TS 119 182-1 as the sample writes it: the DER in standard base64, no encoding member. */
const pkiOb = (der: Uint8Array) => ({ val: Buffer.from(der).toString('base64') });

/**
 * A JAdES baseline B-LT copy of a B-T seal: for the sealing certificate and each CA certificate of x5c but the
 * last (whose issuer x5c gives), an OCSP response (or else a CRL) fetched through the outbound guard and checked
 * (signed by the CA or its delegated responder, about that certificate, current), added as `rVals`, and the
 * certificates they need beyond x5c as `xVals`. A certificate reported revoked throws RevokedCertificateError.
 * When a certificate names no service, or none answers usably, the seal is returned unchanged at B-T with the
 * reason (for the caller's log).
 */
export async function addValidationData(
  doc: SealedDocument,
  fetch: OutboundFetch = outboundFetch,
): Promise<{ doc: SealedDocument; level: 'B-LT' | 'B-T'; reason?: string }> {
  const [signature, ...more] = doc.signatures;
  if (!signature || more.length) throw new Error('a sealed credential has exactly one signature');
  const etsiU: unknown = signature.header?.etsiU ?? [];
  if (!Array.isArray(etsiU)) throw new Error('the seal’s etsiU is not a list');
  const names = etsiU.map(decodeEtsiU).map((v) => (v ? Object.keys(v) : ['?']));
  if (!names.some((n) => n.includes('sigTst')))
    throw new Error('validation data is added to a time-stamped (B-T) seal: the seal has no sigTst');
  if (names.some((n) => n.some((k) => k !== 'sigTst')))
    throw new Error('the seal already holds unsigned values beyond signature time-stamps (B-LT, B-LTA)');
  let chain: X509Certificate[];
  try {
    const header = JSON.parse(Buffer.from(signature.protected, 'base64url').toString('utf8')) as {
      x5c?: unknown;
    };
    if (!Array.isArray(header.x5c) || !header.x5c.length) throw new Error();
    chain = header.x5c.map((c) => new X509Certificate(Buffer.from(String(c), 'base64')));
  } catch {
    throw new Error('the seal’s protected header has no x5c certificate chain');
  }
  const asBT = (reason: string) => ({ doc, level: 'B-T' as const, reason });
  if (chain.length < 2)
    return asBT('x5c holds the sealing certificate without its CA’s: its revocation data cannot be checked');

  const ocspVals: Uint8Array[] = [];
  const crlVals: Uint8Array[] = [];
  const extra: X509Certificate[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i]!, chain[i + 1]!];
    const label = i === 0 ? `the sealing certificate ${nameOf(cert)}` : `the CA certificate ${nameOf(cert)}`;
    if (!issuedBy(cert, issuer)) return asBT(`${label} is not issued by the next certificate of x5c`);
    const data = await revocationData(cert, issuer, label, fetch, deadline);
    if (typeof data === 'string') return asBT(data);
    (data.kind === 'OCSP' ? ocspVals : crlVals).push(data.der);
    extra.push(...data.certs);
  }
  const xVals = unique(extra).filter((c) => !chain.some((d) => sameCert(c, d)));
  const rVals = {
    ...(crlVals.length ? { crlVals: crlVals.map(pkiOb) } : {}),
    ...(ocspVals.length ? { ocspVals: ocspVals.map(pkiOb) } : {}),
  };
  const added = [
    ...(xVals.length ? [etsiUEntry({ xVals: xVals.map((c) => ({ x509Cert: pkiOb(c.raw) })) })] : []),
    etsiUEntry({ rVals }),
  ];
  return {
    doc: {
      payload: doc.payload,
      signatures: [{ ...signature, header: { ...signature.header, etsiU: [...etsiU, ...added] } }],
    },
    level: 'B-LT',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Verifying validation data

/** The certificate and revocation values among a seal's unsigned ETSI values. */
export interface ValidationValues {
  certs: X509Certificate[];
  ocsp: Uint8Array[];
  crl: Uint8Array[];
  /** Members present and not verified (otherCert, otherVals). */
  others: string[];
  /** Whether any xVals or rVals was found at all. */
  present: boolean;
}

/** At most this many certificates in xVals, values in each of ocspVals and crlVals, answers in one OCSP response. */
const MAX_VALUES = 8;

/** Collects `xVals` and `rVals` from the `etsiU` entries, or says which one is malformed or too many. */
export function readValidationValues(etsiU: unknown): ValidationValues | string {
  const values: ValidationValues = { certs: [], ocsp: [], crl: [], others: [], present: false };
  if (!Array.isArray(etsiU)) return values;
  const der = (ob: unknown): Uint8Array | undefined =>
    isObject(ob) && typeof ob.val === 'string' && /^[A-Za-z0-9+/]+=*$/.test(ob.val)
      ? Buffer.from(ob.val, 'base64')
      : undefined;
  for (const [i, entry] of etsiU.entries()) {
    const value = decodeEtsiU(entry);
    if (value && Array.isArray(value.xVals)) {
      values.present = true;
      for (const item of value.xVals) {
        if (isObject(item) && item.otherCert !== undefined && item.x509Cert === undefined) {
          values.others.push('otherCert');
          continue;
        }
        const bytes = isObject(item) ? der(item.x509Cert) : undefined;
        try {
          if (!bytes) throw new Error();
          values.certs.push(new X509Certificate(Buffer.from(bytes)));
        } catch {
          return `the xVals of etsiU entry ${i + 1} hold something that is not an X.509 certificate`;
        }
      }
    } else if (value && value.xVals !== undefined) {
      return `the xVals of etsiU entry ${i + 1} is not a list`;
    } else if (value && value.rVals !== undefined) {
      values.present = true;
      const r = value.rVals;
      if (!isObject(r)) return `the rVals of etsiU entry ${i + 1} is not an object`;
      for (const [member, list] of [
        ['crlVals', values.crl],
        ['ocspVals', values.ocsp],
      ] as const) {
        if (r[member] === undefined) continue;
        if (!Array.isArray(r[member])) return `the ${member} of etsiU entry ${i + 1} is not a list`;
        for (const ob of r[member] as unknown[]) {
          const bytes = der(ob);
          if (!bytes) return `a value of the ${member} of etsiU entry ${i + 1} has no val (DER in base64)`;
          list.push(bytes);
        }
      }
      if (r.otherVals !== undefined) values.others.push('otherVals');
    }
  }
  values.certs = unique(values.certs);
  for (const [name, list] of [
    ['xVals certificates', values.certs],
    ['ocspVals', values.ocsp],
    ['crlVals', values.crl],
  ] as const)
    if (list.length > MAX_VALUES) return `${list.length} ${name}; at most ${MAX_VALUES} are read`;
  return values;
}

/** Whether a status says something of `at`: issued after it, or current at it. */
function covers(status: CertificateStatus, at: number): boolean {
  const from = status.thisUpdate.getTime();
  // A second of slack for times truncated to the second.
  if (from >= at - 1000) return true;
  return status.nextUpdate !== undefined && status.nextUpdate.getTime() >= at;
}

/**
 * Verifies a seal's revocation values against its certificates (x5c and xVals): every OCSP response and CRL must
 * be intact and signed by the certificate's CA or its delegated responder (`refused` otherwise, and when any says
 * a certificate of the seal is revoked); `ok` when one says the sealing certificate was not revoked at `at` (its
 * time-stamp's time, or sigT). Values whose signer is not at hand are reported, not refused.
 */
export async function verifyValidationValues(
  values: ValidationValues,
  chain: X509Certificate[],
  at: Date,
  now: Date,
): Promise<{ ok: boolean; message: string } | { refused: string }> {
  const known = unique([...chain, ...values.certs]);
  const leaf = chain[0]!;
  const readings: { label: string; reading: Extract<RevocationReading, { ok: true }> }[] = [];
  const unchecked: string[] = [];
  const sources = [
    ...values.ocsp.map((der, i) => ({
      label: `OCSP response ${i + 1}`,
      read: () => readOcspResponse(der, known),
    })),
    ...values.crl.map((der, i) => ({ label: `CRL ${i + 1}`, read: () => readCrl(der, known) })),
  ];
  for (const { label, read } of sources) {
    const reading = await read();
    if (reading.ok) readings.push({ label, reading });
    else if (reading.tampered) return { refused: `the ${label} of rVals ${reading.problem}` };
    else unchecked.push(`the ${label} of rVals ${reading.problem}`);
  }
  for (const { label, reading } of readings)
    for (const s of reading.statuses)
      if (s.status === 'revoked')
        return {
          refused:
            `${sameCert(s.cert, leaf) ? 'the sealing certificate' : 'the certificate'} ${nameOf(s.cert)} is revoked` +
            `${s.revokedAt ? ` since ${iso(s.revokedAt)}` : ''}${s.reason ? ` (${s.reason})` : ''}, ` +
            `says the ${label} of rVals, by ${nameOf(reading.signer)}`,
        };

  const atTime = at.getTime();
  const describe = (kind: string, signer: X509Certificate, s: CertificateStatus) => {
    const expiry = new Date(signer.validTo);
    return (
      `${kind === 'OCSP' ? 'an OCSP response' : 'a CRL'} of ${iso(s.thisUpdate)} by ${nameOf(signer)}` +
      // Readings are only of signers valid when they signed: an expiry since does not undo the signature.
      (expiry < now
        ? `, whose certificate has expired since (${iso(expiry)}) but was valid when it signed`
        : '')
    );
  };
  const leafOnly = readings
    .flatMap(({ reading }) => reading.statuses.map((s) => ({ reading, s })))
    .filter(({ s }) => sameCert(s.cert, leaf));
  const leafStatus = leafOnly.find(({ s }) => s.status === 'good' && covers(s, atTime));
  const others = readings.flatMap(({ reading }) =>
    reading.statuses
      .filter((s) => !sameCert(s.cert, leaf))
      .map(
        (s) =>
          `${nameOf(s.cert)} ${s.status === 'good' ? 'not revoked' : `status ${s.status}`}, says ${describe(reading.kind, reading.signer, s)}`,
      ),
  );
  const notes = [
    ...(others.length ? [`also: ${others.join('; ')}`] : []),
    ...readings
      .filter(({ reading }) => !reading.statuses.length)
      .map(
        ({ label, reading }) =>
          `the ${label} of rVals, by ${nameOf(reading.signer)}, is about none of its certificates`,
      ),
    ...(values.certs.length
      ? [`${values.certs.length} certificate${values.certs.length === 1 ? '' : 's'} in xVals`]
      : []),
    ...unchecked.map((u) => `not verified: ${u}`),
    ...(values.others.length ? [`not verified: ${values.others.join(', ')}`] : []),
  ];
  const head = leafStatus
    ? `the sealing certificate was not revoked at ${iso(at)}, says ${describe(leafStatus.reading.kind, leafStatus.reading.signer, leafStatus.s)}`
    : `no revocation value says the sealing certificate was not revoked at ${iso(at)}${
        leafOnly.length
          ? ` (${leafOnly.map(({ reading, s }) => `${describe(reading.kind, reading.signer, s)} says ${s.status}${s.nextUpdate ? `, current until ${iso(s.nextUpdate)}` : ''}`).join('; ')})`
          : ''
      }`;
  return { ok: Boolean(leafStatus), message: [head, ...notes].join('; ') };
}
