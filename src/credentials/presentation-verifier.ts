import * as vc from '@digitalbazaar/vc';
import { VC_V1_CONTEXT, VC_V2_CONTEXT } from './contexts.js';
import { withoutFragment } from './document-loader.js';
import { asList, isObject } from './json-values.js';
import { MAX_PROOFS } from './input-checks.js';
import { referenceLoader } from './reference-loader.js';
import {
  combinedVerdict,
  errorMessage,
  verifyCredential,
  type VerificationCheck,
  type Verdict,
  type VerificationResult,
  type VerifyOptions,
} from './verifier.js';
import { proofNames, verifySuites } from './verify-suites.js';

export interface PresentationResult {
  verified: boolean;
  /** The weakest verdict of the credentials, and 'not-verified' when the presentation's own checks fail. */
  verdict: Verdict;
  /** The presentation's own checks: its shape, and its proof (the holder's) when it has one. */
  checks: VerificationCheck[];
  holder?: string;
  credentials: VerificationResult[];
  warnings: string[];
}

export interface PresentationOptions extends VerifyOptions {
  /** The challenge the verifier gave the holder (VC API `options.challenge`); checked against the proof. */
  challenge?: string;
  domain?: string;
}

/** At most this many credentials in one presentation are verified. */
export const MAX_PRESENTED = 20;

/** The credentials a presentation holds (`verifiableCredential`, one or a list, possibly none). */
function presentedCredentials(vp: Record<string, unknown>): unknown[] {
  return vp.verifiableCredential === undefined ? [] : asList(vp.verifiableCredential);
}

function shapeProblems(vp: unknown): string[] {
  if (!isObject(vp)) return ['(root): a presentation must be a JSON object'];
  const problems: string[] = [];
  const context = vp['@context'];
  if (!Array.isArray(context) || (context[0] !== VC_V2_CONTEXT && context[0] !== VC_V1_CONTEXT))
    problems.push(
      `@context: must be an array whose first item is "${VC_V2_CONTEXT}" (or "${VC_V1_CONTEXT}")`,
    );
  const types = asList(vp.type);
  if (!types.includes('VerifiablePresentation')) problems.push('type: must include "VerifiablePresentation"');
  const list = presentedCredentials(vp);
  if (list.length > MAX_PRESENTED)
    problems.push(`verifiableCredential: at most ${MAX_PRESENTED} credentials are verified at once`);
  if (Array.isArray(vp.proof) && vp.proof.length > MAX_PROOFS)
    problems.push(`proof: at most ${MAX_PROOFS} are accepted`);
  if (list.length === 0 && vp.proof === undefined)
    problems.push('verifiableCredential: an unsigned presentation without credentials has nothing to verify');
  list.forEach((c, i) => {
    if (!isObject(c))
      problems.push(
        `verifiableCredential[${i}]: must be a credential object (enveloped credentials are not read)`,
      );
  });
  const holder = isObject(vp.holder) ? vp.holder.id : vp.holder;
  if (vp.holder !== undefined && typeof holder !== 'string')
    problems.push('holder: must be a URL or an object with an id');
  return problems;
}

/**
 * Verifies a verifiable presentation: each credential in it as verifyCredential does (its issuer, recognised or
 * not, its proof, dates and status), and the presentation's own proof when it has one: made by the holder it
 * names, for the challenge (and domain) the verifier gave. An unsigned presentation is read as a folder of
 * credentials: it proves nothing about who presents them, and the result says so.
 */
export async function verifyPresentation(
  presentation: unknown,
  options: PresentationOptions,
): Promise<PresentationResult> {
  const problems = shapeProblems(presentation);
  const checks: VerificationCheck[] = [
    { check: 'input', ok: problems.length === 0, message: problems.join('; ') || 'well-formed' },
  ];
  if (problems.length)
    return { verified: false, verdict: 'not-verified', checks, credentials: [], warnings: [] };
  const vp = presentation as Record<string, unknown>;
  const holder = (isObject(vp.holder) ? vp.holder.id : vp.holder) as string | undefined;
  const list = presentedCredentials(vp) as Record<string, unknown>[];
  const credentials = await Promise.all(list.map((c) => verifyCredential(c, options)));
  const warnings: string[] = [];

  const proof = vp.proof;
  if (proof === undefined) {
    warnings.push(
      'the presentation is not signed: it shows credentials but proves nothing about who presents them',
    );
  } else {
    const proofs = asList(proof) as Record<string, unknown>[];
    const challenge =
      options.challenge ?? (typeof proofs[0]?.challenge === 'string' ? proofs[0].challenge : undefined);
    if (options.challenge === undefined)
      warnings.push('no challenge was given: the presentation may be a replay of an earlier one');
    const result = await vc
      .verify({
        presentation: vp,
        suite: verifySuites,
        documentLoader: referenceLoader(options.documentLoader, options.remote, vp),
        challenge: challenge ?? '',
        ...(options.domain ? { domain: options.domain } : {}),
        // The credentials are judged above, with their own references and trust; here only the holder's proof.
        checkStatus: async () => ({ verified: true }),
      })
      .catch((err: unknown) => ({ verified: false, error: err, presentationResult: undefined }));
    // jsonld-signatures passes a set of proofs when any one verifies, and drops proofs no suite matches: every
    // proof given must be among the verified ones, or a proof "by the holder" could ride beside another's.
    const verifiedProofs = (result.presentationResult?.results ?? []) as {
      verified: boolean;
      proof?: { verificationMethod?: unknown };
    }[];
    const proofOk =
      Boolean(result.presentationResult?.verified) &&
      verifiedProofs.length === proofs.length &&
      verifiedProofs.every((r) => r.verified);
    checks.push({
      check: 'proof',
      ok: proofOk,
      message: proofOk
        ? `${proofNames(vp)} presentation proof verified`
        : result.presentationResult?.verified
          ? 'a proof of the presentation is not of a kind this installation verifies, or does not verify'
          : errorMessage(result.presentationResult?.error ?? result.error),
    });
    if (proofOk && holder !== undefined) {
      const signedBy = verifiedProofs.map((r) => withoutFragment(String(r.proof?.verificationMethod ?? '')));
      const byHolder = signedBy.every((signer) => signer === holder);
      checks.push({
        check: 'holder',
        ok: byHolder,
        message: byHolder
          ? `signed by the holder ${holder}`
          : `signed by ${signedBy.join(', ')}, not the holder ${holder}`,
      });
    }
  }

  const own = checks.every((c) => c.ok);
  const verdict: Verdict = !own
    ? 'not-verified'
    : credentials.length
      ? combinedVerdict(credentials)
      : 'verified';
  return {
    verified: own && credentials.every((c) => c.verified),
    verdict,
    checks,
    ...(holder ? { holder } : {}),
    credentials,
    warnings,
  };
}
