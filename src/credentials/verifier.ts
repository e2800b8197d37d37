import * as vc from '@digitalbazaar/vc';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import type { DocumentLoader } from './document-loader.js';
import { credentialProblems } from './input-checks.js';
import { verifySuite } from './signer.js';

export type CheckName = 'input' | 'issuer' | 'validity' | 'proof' | 'status';

export interface VerificationCheck {
  check: CheckName;
  ok: boolean;
  message: string;
}

export interface VerificationResult {
  verified: boolean;
  format: 'ob3' | 'elm' | 'vc';
  issuer?: string;
  checks: VerificationCheck[];
}

export function credentialFormat(credential: Record<string, unknown>): VerificationResult['format'] {
  const types = Array.isArray(credential.type) ? credential.type : [credential.type];
  if (types.includes('OpenBadgeCredential') || types.includes('AchievementCredential')) return 'ob3';
  if (types.includes('EuropeanDigitalCredential')) return 'elm';
  return 'vc';
}

function errorMessage(err: unknown): string {
  if (!err) return 'unknown error';
  const e = err as { message?: string; errors?: unknown[]; cause?: unknown };
  if (e.errors?.length) return e.errors.map(errorMessage).join('; ');
  return e.message ?? String(err);
}

/**
 * Verifies a credential: its shape, its issuer's DID, its validity dates, its Data Integrity proof and, when it
 * has one, its status (revoked or suspended fails). Every check is reported, so a caller can show why.
 */
export async function verifyCredential(
  credential: unknown,
  { documentLoader, now = new Date() }: { documentLoader: DocumentLoader; now?: Date },
): Promise<VerificationResult> {
  const checks: VerificationCheck[] = [];
  const problems = credentialProblems(credential);
  checks.push({ check: 'input', ok: problems.length === 0, message: problems.join('; ') || 'well-formed' });
  if (problems.length) return { verified: false, format: 'vc', checks };
  const c = credential as Record<string, unknown>;
  const format = credentialFormat(c);
  const issuer = (typeof c.issuer === 'object' ? (c.issuer as { id: string }).id : c.issuer) as string;

  try {
    await documentLoader(issuer);
    checks.push({ check: 'issuer', ok: true, message: `issuer ${issuer} resolved` });
  } catch (err) {
    checks.push({ check: 'issuer', ok: false, message: errorMessage(err) });
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

  let status: VerificationCheck | undefined;
  const result = await vc.verifyCredential({
    credential: c,
    suite: verifySuite,
    documentLoader,
    // Dates are judged above; the library is asked only about the proof and status.
    now: from ? new Date(from) : now,
    checkStatus: async () => {
      const outcome = await checkStatus({ credential: c, documentLoader, suite: verifySuite });
      if (!outcome.verified) {
        status = {
          check: 'status',
          ok: false,
          message: `status unavailable: ${errorMessage(outcome.error)}`,
        };
        return outcome;
      }
      const set = (outcome.results ?? [])
        .filter((r) => r.status)
        .map((r) => r.credentialStatus.statusPurpose);
      status = set.length
        ? {
            check: 'status',
            ok: false,
            message: set.map((p) => (p === 'revocation' ? 'revoked' : 'suspended')).join(', '),
          }
        : { check: 'status', ok: true, message: 'not revoked or suspended' };
      return { ...outcome, verified: set.length === 0 };
    },
  });
  const proofOk = Boolean(
    result.results?.length && result.results.every((r) => (r as { verified: boolean }).verified),
  );
  checks.push({
    check: 'proof',
    ok: proofOk,
    message: proofOk ? 'eddsa-rdfc-2022 proof verified' : errorMessage(result.error),
  });
  if (c.credentialStatus !== undefined) {
    checks.push(status ?? { check: 'status', ok: false, message: 'not checked: the proof did not verify' });
  }
  return { verified: checks.every((x) => x.ok), format, issuer, checks };
}
