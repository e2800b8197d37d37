import { LRUCache } from 'lru-cache';
import { onIssuersChanged } from './issuer-changes.js';
import { findDefaultIssuer, findIssuer, findIssuerByDid, type IssuerRecord } from './issuers.js';

/**
 * Issuer records as every path of a process reads them (VC API issue, DID documents, verification, the
 * worker's signing): one cache, keyed by id, by DID and "the default". Issuers change rarely, and every change
 * goes through issuersChanged() (issuer-changes.ts), which drops the cache here and, through the broadcast wired
 * at start (change-broadcast.ts), in every other process at once. The TTL is only a backstop for a notice lost with
 * Redis. Misses are not kept: an issuer created a moment later is found on the next read.
 */
const BACKSTOP_TTL_MS = 300_000;
const records = new LRUCache<string, Promise<IssuerRecord | undefined>>({ max: 2_000, ttl: BACKSTOP_TTL_MS });

function cached(
  key: string,
  read: () => Promise<IssuerRecord | undefined>,
): Promise<IssuerRecord | undefined> {
  const hit = records.get(key);
  if (hit) return hit;
  const pending = read();
  records.set(key, pending);
  const forget = () => records.peek(key) === pending && records.delete(key);
  pending.then((found) => found ?? forget(), forget);
  return pending;
}

export const cachedIssuer = (id: string) => cached(`id:${id}`, () => findIssuer(id));
export const cachedIssuerByDid = (did: string) => cached(`did:${did}`, () => findIssuerByDid(did));
export const cachedDefaultIssuer = () => cached('default', () => findDefaultIssuer());

/** Forgets every issuer read in this process (a notice from another process, or Redis reconnecting). */
export function dropIssuerCache(): void {
  records.clear();
}

// A change made in this process drops the cache at once (other processes hear of it through the broadcast).
onIssuersChanged(dropIssuerCache);
