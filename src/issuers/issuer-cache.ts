import { cachedReads } from '../db/cached-reads.js';
import { onIssuersChanged } from './issuer-changes.js';
import { findDefaultIssuer, findIssuer, findIssuerByDid } from './issuers.js';

/**
 * Issuer records as every path of a process reads them (VC API issue, DID documents, verification, the
 * worker's signing): one cache, keyed by id, by DID and "the default". Issuers change rarely, and every change
 * goes through issuersChanged() (issuer-changes.ts), which drops the cache here and, through the broadcast wired
 * at start (change-broadcast.ts), in every other process at once. The TTL is only a backstop for a notice lost with
 * Redis. Misses are not kept (src/db/cached-reads.ts): an issuer created a moment later is found on the next read.
 */
const BACKSTOP_TTL_MS = 300_000;
const byId = cachedReads(BACKSTOP_TTL_MS, findIssuer);
const byDid = cachedReads(BACKSTOP_TTL_MS, findIssuerByDid);
const theDefault = cachedReads(BACKSTOP_TTL_MS, (_: 'default') => findDefaultIssuer());

export const cachedIssuer = async (id: string) => (await byId(id)) ?? undefined;
export const cachedIssuerByDid = async (did: string) => (await byDid(did)) ?? undefined;
export const cachedDefaultIssuer = async () => (await theDefault('default')) ?? undefined;

/** Forgets every issuer read in this process (a notice from another process, or Redis reconnecting). */
export function dropIssuerCache(): void {
  for (const read of [byId, byDid, theDefault]) read.clear();
}

// A change made in this process drops the cache at once (other processes hear of it through the broadcast).
onIssuersChanged(dropIssuerCache);
