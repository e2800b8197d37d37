import { lmsRequests, lmsRequestSeconds, secondsSince } from '../metrics/metrics.js';
import { outboundFetch } from '../net/outbound.js';
import { LtiServiceError } from './errors.js';
import type { PlatformDoc } from './models.js';
import { originOf, platformOrigins } from './platforms.js';
import { KeyedRateLimiter, lmsRateLimiter, retryAfterMs } from './rate-limiter.js';
import type { ServiceTokens } from './service-token.js';

export interface ServiceResponse<T> {
  body: T;
  next?: string;
}

export interface ServiceClientOptions {
  timeoutMs?: number;
  limiter?: KeyedRateLimiter;
  /** Retries of one request after a 429, a 5xx or no answer (5xx and timeouts: reads only). */
  maxRetries?: number;
  /** First backoff of a retried request (doubles, with jitter); also the wait after a 429 without Retry-After. */
  backoffMs?: number;
  /** A Retry-After longer than this fails the call now: the job's own backoff waits instead of a held worker. */
  maxRetryAfterMs?: number;
}

/** Largest number of pages one listing follows, so a platform that links pages in a circle cannot hold us forever. */
export const MAX_PAGES = 1_000;

const TRANSIENT = new Set([500, 502, 503, 504]);

let defaultTimeoutMs = 15_000;

/** Set once at start from LMS_REQUESTS_PER_SECOND and LMS_TIMEOUT_MS. */
export function configureServiceClients(settings: { requestsPerSecond: number; timeoutMs: number }): void {
  lmsRateLimiter.setRate(settings.requestsPerSecond);
  defaultTimeoutMs = settings.timeoutMs;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Bearer calls to one platform's LTI Advantage services, retried once with a fresh token after a 401 (the
 * platform may have revoked or expired the cached one). Every request waits its turn in the platform's rate
 * limit (LMS_REQUESTS_PER_SECOND); a 429 pauses the platform for its Retry-After, and reads that meet a 5xx or
 * no answer are retried with exponential backoff before the error reaches the caller. A URL outside the
 * platform's origins (registered endpoints and those its signed launches named) is refused before a token is
 * asked for; pages are followed through `Link: <...>; rel="next"` only while they stay on the origin of the
 * first URL, so the token never goes to another host.
 */
export class ServiceClient {
  private readonly timeoutMs: number;
  private readonly limiter: KeyedRateLimiter;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly origins: Set<string>;

  constructor(
    private readonly platform: PlatformDoc,
    private readonly tokens: ServiceTokens,
    options: ServiceClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.limiter = options.limiter ?? lmsRateLimiter;
    this.maxRetries = options.maxRetries ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.origins = platformOrigins(platform);
  }

  async call<T>(
    method: string,
    url: string,
    scopes: string[],
    accept: string,
    body?: { type: string; data: unknown },
  ): Promise<ServiceResponse<T>> {
    // A token goes only to the platform's own origins, whoever supplied the URL.
    if (!this.origins.has(originOf(url)))
      throw new LtiServiceError(403, "not one of the platform's registered origins; no token sent", url);
    const key = String(this.platform._id);
    let refreshed = false;
    for (let retry = 0; ; retry++) {
      const token = await this.tokens.get(this.platform, scopes);
      await this.limiter.acquire(key);
      let res: Response;
      const signal = AbortSignal.timeout(this.timeoutMs);
      const started = performance.now();
      try {
        res = await outboundFetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept,
            ...(body ? { 'content-type': body.type } : {}),
          },
          body: body ? JSON.stringify(body.data) : undefined,
          signal,
        });
      } catch (err) {
        lmsRequests.inc({ platform: key, method, status: 'error' });
        // No answer (timeout, reset): a read is safe to repeat; a write may have landed, so it is not.
        const error = noAnswer(err, signal.aborted, this.timeoutMs, url);
        if (method !== 'GET' || retry >= this.maxRetries) throw error;
        await sleep(this.backoff(retry));
        continue;
      }
      lmsRequestSeconds.observe({ platform: key }, secondsSince(started));
      lmsRequests.inc({ platform: key, method, status: String(res.status) });
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        await res.body?.cancel();
        this.tokens.invalidate(this.platform, scopes);
        retry--;
        continue;
      }
      if (res.status === 429 && retry < this.maxRetries) {
        await res.body?.cancel();
        const wait = retryAfterMs(res.headers.get('retry-after')) ?? this.backoff(retry);
        if (wait > this.maxRetryAfterMs)
          throw new LtiServiceError(
            429,
            `rate limited; the LMS asks to wait ${Math.ceil(wait / 1000)} s`,
            url,
          );
        this.limiter.pause(key, Date.now() + wait);
        continue;
      }
      if (TRANSIENT.has(res.status) && method === 'GET' && retry < this.maxRetries) {
        await res.body?.cancel();
        await sleep(this.backoff(retry));
        continue;
      }
      const text = await res.text();
      if (!res.ok) throw new LtiServiceError(res.status, reasonOf(text, res.statusText), url);
      return { body: parseBody<T>(text, url), next: nextLink(res.headers.get('link'), url) };
    }
  }

  /** Exponential backoff with jitter, so retries from several workers do not arrive together. */
  private backoff(retry: number): number {
    const base = this.backoffMs * 2 ** retry;
    return base / 2 + Math.random() * (base / 2);
  }

  /** GETs every page of a paged container and concatenates what `pick` takes from each. */
  async all<T, P>(url: string, scopes: string[], accept: string, pick: (page: P) => T[]): Promise<T[]> {
    const out: T[] = [];
    let pageUrl: string | undefined = url;
    for (let pages = 0; pageUrl; pages++) {
      if (pages >= MAX_PAGES) throw new LtiServiceError(508, `more than ${MAX_PAGES} pages`, url);
      const page: ServiceResponse<P> = await this.call<P>('GET', pageUrl, scopes, accept);
      const items = pick(page.body);
      // A page whose list is not a list (a broken proxy, a changed API) must not pass as a shorter roster.
      if (!Array.isArray(items)) throw new LtiServiceError(502, 'malformed page (no list)', pageUrl);
      out.push(...items);
      pageUrl = page.next;
    }
    return out;
  }
}

/** The rel="next" target of a Link header (RFC 8288), resolved against the request URL; same origin only. */
export function nextLink(header: string | null, requestUrl: string): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '');
    if (!rel?.[1]?.toLowerCase().split(/\s+/).includes('next')) continue;
    const target = new URL(m[1] ?? '', requestUrl);
    return target.origin === new URL(requestUrl).origin ? target.toString() : undefined;
  }
  return undefined;
}

/**
 * Our own timeout is a 504; anything else (an OutboundError, whose message is the same for a refused address, a
 * closed port and a reset) is a 502 that says no more than that.
 */
function noAnswer(err: unknown, timedOut: boolean, timeoutMs: number, url: string): LtiServiceError {
  return timedOut
    ? new LtiServiceError(504, `no answer within ${Math.round(timeoutMs / 1000)} s`, url)
    : new LtiServiceError(502, `unreachable (${(err as Error).message})`, url);
}

/** A body that is not JSON is the platform's fault (502), said plainly rather than as a SyntaxError. */
function parseBody<T>(text: string, url: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new LtiServiceError(502, 'malformed response (not JSON)', url);
  }
}

function reasonOf(text: string, fallback: string): string {
  try {
    const body = JSON.parse(text) as { reason?: unknown; error?: unknown; message?: unknown };
    for (const v of [body.reason, body.message, body.error]) if (typeof v === 'string') return v;
  } catch {
    // not JSON: fall through
  }
  return fallback || 'error';
}
