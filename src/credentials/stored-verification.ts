import { LRUCache } from 'lru-cache';
import type { StoredCredential } from './credential-store.js';
import { StatusList } from './status-list-model.js';
import { sealedPayload } from '../seals/sealed-document.js';
import {
  combinedVerdict,
  verifyCredential,
  type IssuerVerdict,
  type Verdict,
  type VerificationResult,
  type VerifyOptions,
} from './verifier.js';

/** Both documents of a stored award verified, and the verdict over the two. */
export interface PairVerification {
  verified: boolean;
  verdict: Verdict;
  issuer?: IssuerVerdict;
  ob3: VerificationResult;
  elm: VerificationResult;
}

export type StoredPairVerifier = (stored: StoredCredential) => Promise<PairVerification>;

/** Results kept at most: each is a few KB, and the hot set is what is being shared right now. */
const MAX_ENTRIES = 1_000;

let runs = 0;
/** Pairs this process actually verified (cache hits and shared in-flight verifications not counted): for tests. */
export function storedVerificationRuns(): number {
  return runs;
}

async function verifyPair(
  stored: StoredCredential,
  options: Omit<VerifyOptions, 'now'>,
  now: Date,
): Promise<PairVerification> {
  runs++;
  const [ob3, elm] = await Promise.all([
    verifyCredential(stored.ob3, { ...options, now }),
    // This installation sealed it when it stored it: that record is a time the signer could not backdate.
    verifyCredential(stored.elm, { ...options, now, sealedAt: new Date(stored.issuedAt) }),
  ]);
  const verdict = combinedVerdict([ob3, elm]);
  return { verified: verdict === 'verified', verdict, issuer: ob3.issuer ?? elm.issuer, ob3, elm };
}

/**
 * The cache key changes whenever the credential's status can have changed: each status list's `version` is
 * incremented by the same atomic update that sets a bit (src/credentials/status-lists.ts setStatus), in
 * whichever process. It is read before verifying, so a result is never stored under a newer version than the
 * status it saw.
 */
async function cacheKey(stored: StoredCredential): Promise<string> {
  const ids = stored.status.map((s) => s.listId);
  if (ids.length === 0) return stored._id;
  const lists = await StatusList.find({ _id: { $in: ids } }, { version: 1 }).lean();
  const version = new Map(lists.map((l) => [String(l._id), l.version]));
  return [stored._id, ...ids.map((id) => `${id}@${version.get(id) ?? 'none'}`)].join('|');
}

/** Milliseconds until the next validity boundary (validFrom or validUntil) of either document, if any. */
function untilNextBoundary(stored: StoredCredential, now: Date): number {
  let next = Infinity;
  for (const doc of [stored.ob3, sealedPayload(stored.elm) ?? stored.elm]) {
    for (const field of ['validFrom', 'issuanceDate', 'validUntil', 'expirationDate']) {
      const at = typeof doc[field] === 'string' ? Date.parse(doc[field]) : NaN;
      if (at > now.getTime()) next = Math.min(next, at - now.getTime());
    }
  }
  return next;
}

/**
 * Verifies stored credentials (public page and JSON) with a short-lived, bounded cache: concurrent requests for
 * one credential share one verification in flight, and a result is reused for `ttlSeconds` (0: never) but not
 * past a status change (see cacheKey) nor past a validity boundary of the documents.
 */
export function storedPairVerifier(
  options: Omit<VerifyOptions, 'now'>,
  ttlSeconds: number,
): StoredPairVerifier {
  if (ttlSeconds <= 0) return (stored) => verifyPair(stored, options, new Date());
  const cache = new LRUCache<string, Promise<PairVerification>>({ max: MAX_ENTRIES, ttl: ttlSeconds * 1000 });
  return async (stored) => {
    const key = await cacheKey(stored);
    const hit = cache.get(key);
    if (hit) return hit;
    const now = new Date();
    const pending = verifyPair(stored, options, now);
    // The result says "valid until X" (or "not yet valid"): it must be gone by X. lru-cache keeps an entry while
    // its age is <= ttl, hence the millisecond less.
    const ttl = Math.floor(Math.min(ttlSeconds * 1000, untilNextBoundary(stored, now) - 1));
    if (ttl > 0) {
      cache.set(key, pending, { ttl });
      // A failure (the database gone a moment) is not remembered.
      pending.catch(() => cache.peek(key) === pending && cache.delete(key));
    }
    return pending;
  };
}
