import { LRUCache } from 'lru-cache';
import { readLimitedBody } from '../net/limited-body.js';

/** How documents of other issuers are fetched: the guarded outbound client (src/net/outbound.ts) in the app. */
export type JsonFetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Fetches (and caches) one JSON document of another issuer: a DID document, a key, a status list. The document
 * must name itself `expectedId` (the DID, or the URL), or it is refused and not kept.
 */
export type RemoteDocuments = (url: string, expectedId: string) => Promise<Record<string, unknown>>;

/**
 * One message for every failure: the URLs come from whoever submits a credential, and a reason (a status code,
 * "not JSON") would let them probe the hosts the outbound guard allows. The reason is kept as `cause`.
 */
export class RemoteDocumentError extends Error {
  constructor(url: string, why: string) {
    super(`${url} could not be loaded`, { cause: why });
    this.name = 'RemoteDocumentError';
  }
}

export interface RemoteDocumentOptions {
  fetch: JsonFetch;
  /** How long a fetched document is reused (ms). */
  ttlMs?: number;
  /** Documents larger than this are refused (bytes): a status list of 131,072 entries is ~16 KB compressed. */
  maxBytes?: number;
  timeoutMs?: number;
  /** What the cache may hold (bytes of the documents as fetched). */
  maxCacheBytes?: number;
}

async function readLimited(res: Response, url: string, maxBytes: number): Promise<Buffer> {
  const body = await readLimitedBody(res, maxBytes);
  if (!body) throw new RemoteDocumentError(url, `larger than ${maxBytes} bytes`);
  return body;
}

/**
 * The body at an https URL, size- and time-limited, with no redirects: the https the URL promises must hold to
 * the end (the outbound client would follow a redirect to http).
 */
async function fetchLimited(
  fetch: JsonFetch,
  url: string,
  limits: { maxBytes: number; timeoutMs: number; accept?: string },
): Promise<Buffer> {
  if (!url.startsWith('https://')) throw new RemoteDocumentError(url, 'only https is fetched');
  let res: Response;
  try {
    res = await fetch(url, {
      ...(limits.accept ? { headers: { accept: limits.accept } } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
  } catch (err) {
    throw new RemoteDocumentError(url, (err as Error).message);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new RemoteDocumentError(url, `HTTP ${res.status}`);
  }
  return readLimited(res, url, limits.maxBytes);
}

/** The bytes of a credential's related resource (its digest, not the transport, says it is the right one). */
export function remoteBytes(options: Pick<RemoteDocumentOptions, 'fetch' | 'maxBytes' | 'timeoutMs'>) {
  const { fetch, maxBytes = 2 * 1024 * 1024, timeoutMs = 10_000 } = options;
  return (url: string): Promise<Uint8Array> => fetchLimited(fetch, url, { maxBytes, timeoutMs });
}

/**
 * Documents of other issuers over HTTPS only (a DID or key must not be readable, or forgeable, by anyone on the
 * path), as JSON objects, size- and time-limited, cached for `ttlMs` so verifying one issuer's credentials does
 * not fetch its DID for each. Concurrent requests for one URL share one fetch; failures are not cached.
 */
export function remoteDocuments(options: RemoteDocumentOptions): RemoteDocuments {
  const { fetch, ttlMs = 300_000, maxBytes = 256 * 1024, timeoutMs = 5_000 } = options;
  const { maxCacheBytes = 32 * 1024 * 1024 } = options;
  const cache = new LRUCache<string, { doc: Record<string, unknown>; bytes: number }>({
    maxSize: maxCacheBytes,
    sizeCalculation: (entry) => Math.max(1, entry.bytes),
    ttl: ttlMs,
  });
  /** Fetches in flight, shared by concurrent verifications of one issuer's credentials. */
  const pending = new Map<string, Promise<{ doc: Record<string, unknown>; bytes: number }>>();

  async function load(url: string): Promise<{ doc: Record<string, unknown>; bytes: number }> {
    const body = await fetchLimited(fetch, url, {
      maxBytes,
      timeoutMs,
      accept: 'application/did+ld+json, application/ld+json, application/json',
    });
    const text = body.toString('utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RemoteDocumentError(url, 'not JSON');
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new RemoteDocumentError(url, 'not a JSON object');
    return { doc: doc as Record<string, unknown>, bytes: body.length };
  }

  return async (url, expectedId) => {
    const hit = cache.get(url);
    if (hit && hit.doc.id === expectedId) return hit.doc;
    let loading = pending.get(url);
    if (!loading) {
      loading = load(url).finally(() => pending.delete(url));
      pending.set(url, loading);
    }
    const entry = await loading;
    // Only a document that is what it was fetched as is kept: anything else costs its sender a fetch each time.
    if (entry.doc.id !== expectedId)
      throw new RemoteDocumentError(url, `the document there is not ${expectedId}`);
    cache.set(url, entry);
    return entry.doc;
  };
}
