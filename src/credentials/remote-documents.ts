import { LRUCache } from 'lru-cache';

/** How documents of other issuers are fetched: the guarded outbound client (src/net/outbound.ts) in the app. */
export type JsonFetch = (url: string, init: RequestInit) => Promise<Response>;

/** Fetches (and caches) one JSON document of another issuer: a DID document, a key, a status list. */
export type RemoteDocuments = (url: string) => Promise<Record<string, unknown>>;

export class RemoteDocumentError extends Error {
  constructor(url: string, why: string) {
    super(`cannot load ${url}: ${why}`);
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
  /** Documents kept at most. */
  maxEntries?: number;
}

async function readLimited(res: Response, url: string, maxBytes: number): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new RemoteDocumentError(url, `larger than ${maxBytes} bytes`);
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new RemoteDocumentError(url, `larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The bytes at an http(s) URL, size- and time-limited: a credential's related resource, whose digest (not the
 * transport) proves it is the one the issuer meant.
 */
export function remoteBytes(options: Pick<RemoteDocumentOptions, 'fetch' | 'maxBytes' | 'timeoutMs'>) {
  const { fetch, maxBytes = 5 * 1024 * 1024, timeoutMs = 10_000 } = options;
  return async (url: string): Promise<Uint8Array> => {
    if (!/^https?:\/\//.test(url))
      throw new RemoteDocumentError(url, 'only http and https resources are fetched');
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new RemoteDocumentError(url, (err as Error).message);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new RemoteDocumentError(url, `HTTP ${res.status}`);
    }
    return readLimited(res, url, maxBytes);
  };
}

/**
 * Documents of other issuers over HTTPS only (a DID or key must not be readable, or forgeable, by anyone on the
 * path), as JSON objects, size- and time-limited, cached for `ttlMs` so verifying one issuer's credentials does
 * not fetch its DID for each. Concurrent requests for one URL share one fetch; failures are not cached.
 */
export function remoteDocuments(options: RemoteDocumentOptions): RemoteDocuments {
  const { fetch, ttlMs = 300_000, maxBytes = 512 * 1024, timeoutMs = 5_000, maxEntries = 1_000 } = options;
  const cache = new LRUCache<string, Promise<Record<string, unknown>>>({ max: maxEntries, ttl: ttlMs });

  async function load(url: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/did+ld+json, application/ld+json, application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new RemoteDocumentError(url, (err as Error).message);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new RemoteDocumentError(url, `HTTP ${res.status}`);
    }
    const text = (await readLimited(res, url, maxBytes)).toString('utf8');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RemoteDocumentError(url, 'not JSON');
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw new RemoteDocumentError(url, 'not a JSON object');
    return doc as Record<string, unknown>;
  }

  return (url) => {
    if (!url.startsWith('https://'))
      return Promise.reject(new RemoteDocumentError(url, 'only https documents are fetched'));
    const hit = cache.get(url);
    if (hit) return hit;
    const pending = load(url);
    cache.set(url, pending);
    pending.catch(() => cache.peek(url) === pending && cache.delete(url));
    return pending;
  };
}
