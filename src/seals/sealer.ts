import { cachedReads } from '../db/cached-reads.js';
import { outboundFetch, type OutboundFetch } from '../net/outbound.js';
import { sealCredential, type SealedDocument } from './jades-seal.js';
import { holderName } from './certificates.js';
import { activeSeal, sealKey } from './seals.js';
import { addSignatureTimestamp } from './timestamp.js';
import { addValidationData } from './validation-data.js';

/** How long a process keeps an institution's active seal (or its absence): a new import counts within this. */
const SEAL_CACHE_MS = 5_000;

export interface SealerOptions {
  kek: Buffer;
  /** TSA_URL: each seal is time-stamped there (JAdES B-T); unset, seals are B-B. */
  tsaUrl?: string;
  fetch?: OutboundFetch;
  /** Told why a time-stamped seal stays at B-T (no OCSP or CRL named, or not reachable): for the log. */
  onLowerLevel?: (reason: string) => void;
}

export interface Sealer {
  seal(credential: Record<string, unknown>): Promise<SealedDocument>;
  by: { holder: string; fingerprint: string; test: boolean };
}

/**
 * The sealer of each institution: its active seal, or undefined when it has none or that seal's certificate
 * has expired (the credential then keeps its Data Integrity proof, and the console says why). With a TSA the
 * seal is time-stamped (B-T) and, when its certificates name OCSP or CRL services that answer, carries their
 * revocation values (B-LT). A time-stamping authority that fails fails the sealing, so the job is retried rather
 * than issued at a lower level than set; unreachable revocation services leave it at B-T, logged.
 */
export function institutionSealers(
  options: SealerOptions,
): (institutionId: string) => Promise<Sealer | undefined> {
  const seals = cachedReads(SEAL_CACHE_MS, async (institutionId: string) => ({
    seal: await activeSeal(institutionId),
  }));
  return async (institutionId) => {
    const found = await seals(institutionId);
    const seal = found?.seal;
    if (!seal || seal.validTo.getTime() <= Date.now()) return undefined;
    const key = sealKey(seal, options.kek);
    return {
      by: {
        holder: holderName(key.certificates[0]!.subject),
        fingerprint: seal.fingerprint,
        test: seal.test,
      },
      async seal(credential) {
        const sealed = await sealCredential(credential, key);
        if (!options.tsaUrl) return sealed;
        const fetch = options.fetch ?? outboundFetch;
        const timestamped = await addSignatureTimestamp(sealed, options.tsaUrl, fetch);
        // B-LT where the certificates name their OCSP or CRL service; a revoked certificate throws and stops.
        const { doc, level, reason } = await addValidationData(timestamped, fetch);
        if (level === 'B-T') options.onLowerLevel?.(reason ?? 'no revocation data');
        return doc;
      },
    };
  };
}
