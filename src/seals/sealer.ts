import { cachedReads } from '../db/cached-reads.js';
import { outboundFetch, type OutboundFetch } from '../net/outbound.js';
import { sealCredential, type SealedDocument } from './jades-seal.js';
import { holderName } from './certificates.js';
import { activeSeal, sealKey } from './seals.js';
import { addSignatureTimestamp } from './timestamp.js';

/** How long a process keeps an institution's active seal (or its absence): a new import counts within this. */
const SEAL_CACHE_MS = 5_000;

export interface SealerOptions {
  kek: Buffer;
  /** TSA_URL: each seal is time-stamped there (JAdES B-T); unset, seals are B-B. */
  tsaUrl?: string;
  fetch?: OutboundFetch;
}

export interface Sealer {
  seal(credential: Record<string, unknown>): Promise<SealedDocument>;
  by: { holder: string; fingerprint: string; test: boolean };
}

/**
 * The sealer of each institution: its active seal, or undefined when it has none or that seal's certificate
 * has expired (the credential then keeps its Data Integrity proof, and the console says why). A time-stamping
 * authority that fails fails the sealing, so the job is retried rather than issued at a lower level than set.
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
        return options.tsaUrl
          ? addSignatureTimestamp(sealed, options.tsaUrl, options.fetch ?? outboundFetch)
          : sealed;
      },
    };
  };
}
