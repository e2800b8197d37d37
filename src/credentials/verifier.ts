import * as vc from '@digitalbazaar/vc';
import type { X509Certificate } from 'node:crypto';
import { verifySeal, type SealVerdict } from '../seals/jades-verify.js';
import { isSealedDocument } from '../seals/sealed-document.js';
import { textIn } from '../i18n/languages.js';
import type { Multilingual } from '../templates/schema.js';
import type { DocumentLoader } from './document-loader.js';
import { credentialProblems } from './input-checks.js';
import { referenceLoader } from './reference-loader.js';
import { relatedResourceProblems, type ResourceFetch } from './related-resources.js';
import type { RemoteDocuments } from './remote-documents.js';
import { checkCredentialStatus } from './status-check.js';
import { proofNames, verifySuites } from './verify-suites.js';

export type CheckName = 'input' | 'issuer' | 'validity' | 'proof' | 'status' | 'holder' | 'relatedResource';

export interface VerificationCheck {
  check: CheckName;
  ok: boolean;
  message: string;
}

/**
 * Who vouches for an issuer DID: one of this installation's issuers (its name comes from our record, never from
 * the credential), an entry of TRUSTED_ISSUERS, or nobody (`false`). A valid signature alone proves only that
 * the holder of some key signed: anyone can make a did:key and write any institution's name next to it.
 */
export type Recognition = 'installation' | 'trusted-list' | false;

/** What this installation knows of a DID; undefined when it does not recognise it. */
export type KnownIssuer =
  { recognised: 'installation'; legalName: Multilingual } | { recognised: 'trusted-list' };
export type IssuerRecogniser = (did: string) => Promise<KnownIssuer | undefined>;

/**
 * Who vouches for a sealed credential: the issuer its payload names, if this installation's, only when the seal's
 * certificate is one that issuer's institution imported; another issuer's only when the certificate chains up to
 * a trust anchor (SEAL_TRUST_ANCHORS). `test` marks a test seal made by `credbridge seal test`.
 */
export type SealRecogniser = (
  did: string,
  /** `at`: when the seal is known to have existed (a trusted time-stamp, this installation's record, or now). */
  seal: { fingerprint: string; trusted: boolean; at: Date },
) => Promise<(KnownIssuer & { test?: boolean }) | undefined>;

/** The seal of a sealed credential, as the pages show it. */
export interface SealFacts {
  /** The organisation (or common name) of the sealing certificate. */
  holder: string;
  subject: string;
  issuer: string;
  qualified: boolean;
  /** Chains up to a trust anchor given to the verifier. */
  trusted: boolean;
  /** A test seal of this installation (`credbridge seal test`): never qualified. */
  test: boolean;
  signedAt?: string;
  timestampedAt?: string;
}

export interface IssuerVerdict {
  /** The issuer's DID, as the credential names it. */
  id: string;
  recognised: Recognition;
  /** Only for 'installation': the legal name in this installation's record (English). */
  name?: string;
  /** Only for 'installation': the record's legal name in every language it has. */
  legalName?: Multilingual;
  /** The name the credential itself states: never confirmed by this installation. */
  statedName?: string;
}

/**
 * 'verified': every check passed, the issuer is recognised. 'issuer-not-recognised': the signature and every
 * other check hold, but nobody here vouches for the issuer. 'not-verified': anything else failed.
 */
export type Verdict = 'verified' | 'issuer-not-recognised' | 'not-verified';

export interface VerificationResult {
  verified: boolean;
  verdict: Verdict;
  format: 'ob3' | 'elm' | 'vc';
  issuer?: IssuerVerdict;
  checks: VerificationCheck[];
  /** Present for a JAdES-sealed credential (a European Digital Credential as Europass takes it). */
  seal?: SealFacts;
}

export interface VerifyOptions {
  documentLoader: DocumentLoader;
  recogniseIssuer: IssuerRecogniser;
  /** Other issuers' https documents (keys, controllers, status lists); without it, only what the loader has. */
  remote?: RemoteDocuments;
  /** Fetches related resources to check their digests; without it, a credential with some cannot verify. */
  fetchResource?: ResourceFetch;
  /** CA certificates a sealed credential's certificate must chain up to (SEAL_TRUST_ANCHORS). */
  sealTrustAnchors?: X509Certificate[];
  /** Who vouches for a sealed credential; without it, a sealed credential's issuer is recognised by nobody. */
  recogniseSeal?: SealRecogniser;
  /** When this installation sealed the document, from its own record (a stored credential): a trusted time. */
  sealedAt?: Date;
  now?: Date;
}

/** A recogniser from a fixed list of DIDs (TRUSTED_ISSUERS), for where there is no installation database. */
export function trustedListRecogniser(dids: Iterable<string>): IssuerRecogniser {
  const trusted = new Set(dids);
  return async (did) => (trusted.has(did) ? { recognised: 'trusted-list' } : undefined);
}

/** The verdict over several documents of one award (OB3 and ELM): the weakest of them. */
export function combinedVerdict(results: VerificationResult[]): Verdict {
  if (results.every((r) => r.verdict === 'verified')) return 'verified';
  if (results.every((r) => r.verdict !== 'not-verified')) return 'issuer-not-recognised';
  return 'not-verified';
}

/** The issuer in one line of plain English (CLI, API warnings); the screens translate the same facts. */
export function describeIssuer(issuer: IssuerVerdict): string {
  const stated = issuer.statedName ? `; the credential states the name "${issuer.statedName}"` : '';
  if (issuer.recognised === 'installation')
    return `${issuer.name} (${issuer.id}), an issuer of this installation`;
  if (issuer.recognised === 'trusted-list')
    return `${issuer.id}, on the trusted list (TRUSTED_ISSUERS)${stated}`;
  return `${issuer.id}, not recognised${stated}`;
}

/** Warnings a caller should show beside a passing issuer check: a trusted-list issuer's name is only stated. */
export function issuerWarnings(issuer: IssuerVerdict | undefined): string[] {
  if (issuer?.recognised !== 'trusted-list' || !issuer.statedName) return [];
  return [
    `issuer: the name "${issuer.statedName}" is stated by the credential; this installation trusts ${issuer.id} through TRUSTED_ISSUERS but has not confirmed its name`,
  ];
}

/**
 * The name a credential gives its issuer: OB3 `name` (a string), ELM `legalName` (a language map). Control and
 * formatting characters (terminal escapes, bidirectional overrides) become spaces: the name is shown as text
 * in a terminal and on screens, and must not be able to disguise itself.
 */
function statedIssuerName(issuer: unknown): string | undefined {
  if (!issuer || typeof issuer !== 'object') return undefined;
  const { name, legalName } = issuer as { name?: unknown; legalName?: unknown };
  const text = firstText(name) ?? firstText(legalName);
  const clean = text
    ?.replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return clean || undefined;
}

function firstText(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object' || depth > 2) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = firstText(item, depth + 1);
      if (text) return text;
    }
    return undefined;
  }
  const map = value as Record<string, unknown>;
  if ('@value' in map) return firstText(map['@value'], depth + 1);
  return firstText(map.en, depth + 1) ?? firstText(Object.values(map), depth + 1);
}

export function credentialFormat(credential: Record<string, unknown>): VerificationResult['format'] {
  const types = Array.isArray(credential.type) ? credential.type : [credential.type];
  if (types.includes('OpenBadgeCredential') || types.includes('AchievementCredential')) return 'ob3';
  if (types.includes('EuropeanDigitalCredential')) return 'elm';
  return 'vc';
}

export function errorMessage(err: unknown): string {
  if (!err) return 'unknown error';
  const e = err as { message?: string; errors?: unknown[]; details?: { cause?: unknown } };
  if (e.errors?.length) return e.errors.map(errorMessage).join('; ');
  // jsonld wraps a loader's refusal in a generic "Dereferencing a URL did not result in..." error.
  if (e.details?.cause) return errorMessage(e.details.cause);
  return e.message ?? String(err);
}

/**
 * Verifies a credential: its shape, its issuer (resolved, then recognised by this installation or not), its
 * validity dates, its Data Integrity proof and, when it has one, its status (revoked or suspended fails). Every
 * check is reported, so a caller can show why; `verified` is true only when every check passes.
 */
export async function verifyCredential(
  document: unknown,
  options: VerifyOptions,
): Promise<VerificationResult> {
  const { documentLoader: base, recogniseIssuer, remote, fetchResource, now = new Date() } = options;
  const checks: VerificationCheck[] = [];
  // A sealed credential (JAdES): the seal is checked first, and the rest is judged on the exact bytes it covers.
  let sealed: SealVerdict | undefined;
  let credential = document;
  if (isSealedDocument(document)) {
    sealed = await verifySeal(document, { trustAnchors: options.sealTrustAnchors ?? [], now });
    if (!sealed.ok) {
      // The check that refused is the last one that failed (an unanchored chain before it is only reported).
      const failed = [...sealed.checks].reverse().find((c) => !c.ok);
      checks.push({ check: 'proof', ok: false, message: `JAdES seal: ${failed?.message ?? 'not valid'}` });
      return { verified: false, verdict: 'not-verified', format: 'elm', checks };
    }
    credential = sealed.payload;
  }
  const problems = credentialProblems(credential);
  checks.push({ check: 'input', ok: problems.length === 0, message: problems.join('; ') || 'well-formed' });
  if (problems.length) return { verified: false, verdict: 'not-verified', format: 'vc', checks };
  const c = credential as Record<string, unknown>;
  const documentLoader = referenceLoader(base, remote, c);
  const format = credentialFormat(c);
  const did = (typeof c.issuer === 'object' ? (c.issuer as { id: string }).id : c.issuer) as string;
  const statedName = statedIssuerName(c.issuer);
  let issuer: IssuerVerdict = { id: did, recognised: false, ...(statedName ? { statedName } : {}) };

  let resolved = false;
  let seal: SealFacts | undefined;
  let known: (KnownIssuer & { test?: boolean }) | undefined;
  if (sealed?.signer) {
    // The signer of a sealed credential is its certificate, not a DID document: nothing is resolved.
    resolved = true;
    // sigT is the signer's word: what counts is a time-stamp from an anchored TSA, this installation's own record
    // of when it sealed, or else now. A key used after its certificate ended (or a stolen one, backdating) fails.
    const at = new Date(sealed.provenAt ?? options.sealedAt ?? now);
    const [from, to] = [Date.parse(sealed.signer.validFrom), Date.parse(sealed.signer.validTo)];
    if (at.getTime() < from - 1000 || at.getTime() > to) {
      checks.push({
        check: 'proof',
        ok: false,
        message: `JAdES seal: the certificate was not valid at ${at.toISOString()} (valid ${sealed.signer.validFrom} to ${sealed.signer.validTo}), and no time-stamp of an anchored TSA proves the seal was made while it was`,
      });
      return { verified: false, verdict: 'not-verified', format: 'elm', checks };
    }
    known = await options.recogniseSeal?.(did, {
      fingerprint: sealed.signer.fingerprint,
      trusted: sealed.trusted,
      at,
    });
    seal = {
      holder: sealed.signer.holder,
      subject: sealed.signer.subject,
      issuer: sealed.signer.issuer,
      qualified: sealed.signer.qualified,
      trusted: sealed.trusted,
      test: known?.test ?? false,
      ...(sealed.signedAt ? { signedAt: sealed.signedAt } : {}),
      ...(sealed.timestampedAt ? { timestampedAt: sealed.timestampedAt } : {}),
    };
  } else {
    try {
      await documentLoader(did);
      resolved = true;
      known = await recogniseIssuer(did);
    } catch (err) {
      checks.push({ check: 'issuer', ok: false, message: errorMessage(err) });
    }
  }
  if (resolved) {
    // Who vouches, said for a signature (its DID) or a seal (its certificate).
    const how = {
      installation: seal ? ", sealed with its institution's certificate" : '',
      trusted: seal
        ? `issuer ${did} is on the trusted list (TRUSTED_ISSUERS), sealed by ${seal.holder}, whose certificate chains up to a trust anchor (SEAL_TRUST_ANCHORS)`
        : `issuer ${did} is on the trusted list (TRUSTED_ISSUERS)`,
      nobody: seal
        ? `sealed by ${seal.holder}${seal.trusted ? ' (a certificate chaining up to a trust anchor)' : ''}, but neither a seal of issuer ${did} here nor of an issuer on the trusted list`
        : `issuer ${did} not recognised: neither an issuer of this installation nor on its trusted list`,
    };
    if (known?.recognised === 'installation') {
      const name = textIn(known.legalName, 'en');
      issuer = { ...issuer, recognised: 'installation', name, legalName: known.legalName };
      checks.push({
        check: 'issuer',
        ok: true,
        message: `issuer ${did} is ${name}, an issuer of this installation${how.installation}`,
      });
    } else if (known?.recognised === 'trusted-list') {
      issuer = { ...issuer, recognised: 'trusted-list' };
      checks.push({ check: 'issuer', ok: true, message: how.trusted });
    } else {
      checks.push({ check: 'issuer', ok: false, message: how.nobody });
    }
  }

  const from = (c.validFrom ?? c.issuanceDate) as string | undefined;
  const until = (c.validUntil ?? c.expirationDate) as string | undefined;
  if (from && new Date(from) > now) {
    checks.push({ check: 'validity', ok: false, message: `not valid before ${from}` });
  } else if (until && new Date(until) <= now) {
    checks.push({ check: 'validity', ok: false, message: `expired on ${until}` });
  } else {
    checks.push({ check: 'validity', ok: true, message: until ? `valid until ${until}` : 'no expiry' });
  }

  let proofOk: boolean;
  if (seal) {
    proofOk = true;
    const at = seal.timestampedAt ? `, time-stamped ${seal.timestampedAt}` : '';
    checks.push({
      check: 'proof',
      ok: true,
      message: `JAdES seal verified: sealed by ${seal.holder} at ${seal.signedAt}${at}; ${seal.test ? 'a test seal, not qualified' : seal.qualified ? 'the certificate states it is qualified' : 'not a qualified certificate'}`,
    });
  } else {
    const result = await vc.verifyCredential({
      credential: c,
      suite: verifySuites,
      documentLoader,
      // Dates are judged above, the status below: the library is asked only about the proof.
      now: from ? new Date(from) : now,
      checkStatus: async () => ({ verified: true }),
    });
    proofOk = Boolean(
      result.results?.length && result.results.every((r) => (r as { verified: boolean }).verified),
    );
    checks.push({
      check: 'proof',
      ok: proofOk,
      message: proofOk ? `${proofNames(c)} proof verified` : errorMessage(result.error),
    });
  }
  // Related resources and status lists are fetched only for a credential whose proof holds: what a verification
  // downloads is then at least its signer's choice, never a stranger's unsigned list of URLs.
  if (c.relatedResource !== undefined) {
    const related = !proofOk
      ? ['not checked: the proof did not verify']
      : fetchResource
        ? await relatedResourceProblems(c, fetchResource)
        : ['not checked: this verifier does not fetch related resources'];
    checks.push({
      check: 'relatedResource',
      ok: related.length === 0,
      message: related.join('; ') || 'every related resource matches its digest',
    });
  }
  if (c.credentialStatus !== undefined) {
    checks.push(
      proofOk
        ? { check: 'status', ...(await checkCredentialStatus(c, documentLoader, now)) }
        : { check: 'status', ok: false, message: 'not checked: the proof did not verify' },
    );
  }
  const verified = checks.every((x) => x.ok);
  // A resolved issuer nobody vouches for, with every other check passing: the signature holds, the trust does not.
  const onlyIssuer = resolved && checks.every((x) => x.ok || x.check === 'issuer');
  const verdict: Verdict = verified ? 'verified' : onlyIssuer ? 'issuer-not-recognised' : 'not-verified';
  return { verified, verdict, format, issuer, checks, ...(seal ? { seal } : {}) };
}
