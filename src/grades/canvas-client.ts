import { outboundFetch, type OutboundFetch } from '../net/outbound.js';
import { ConcurrencyGate } from './concurrency-gate.js';
/**
 * A client of the Canvas REST API (`/api/v1`, bearer token). Follows pagination through `Link` headers (only
 * to the same origin, so the token never goes elsewhere), and Canvas's rate limiting: every answer carries
 * `X-Rate-Limit-Remaining`; when it runs low the client slows down, and a 403 "Rate Limit Exceeded" (or a 429)
 * is retried after an exponential backoff instead of failing the sync.
 */

export class CanvasApiError extends Error {
  constructor(
    readonly status: number,
    /** The request path, without query (no ids of learners, no token). */
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'CanvasApiError';
  }
}

export interface CanvasClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  perPage?: number;
  /** Retries of a throttled request; backoff doubles from `backoffMs`. */
  maxRetries?: number;
  backoffMs?: number;
  /** Below this remaining quota, wait `slowDownMs` before the next request. */
  lowQuota?: number;
  slowDownMs?: number;
  concurrency?: number;
  /** Tests only: the guarded client is the default, and production never passes another. */
  fetch?: OutboundFetch;
}

export type Query = Record<string, string | number | (string | number)[]>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CanvasClient {
  private readonly origin: string;
  private readonly apiBase: string;
  private remaining = Number.POSITIVE_INFINITY;
  private readonly gate: ConcurrencyGate;
  /** Throttled answers seen, for the connection report and tests. */
  throttled = 0;

  constructor(private readonly options: CanvasClientOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.apiBase = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.gate = new ConcurrencyGate(options.concurrency ?? 2);
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await this.request<T>(this.url(path, query))).data;
  }

  /** Every page of a list; `pick` takes the items out of a page whose body is an object (outcome rollups). */
  async getAll<T>(path: string, query: Query = {}, pick?: (page: unknown) => T[]): Promise<T[]> {
    const out: T[] = [];
    let url: string | undefined = this.url(path, { per_page: this.options.perPage ?? 100, ...query });
    for (let pages = 0; url; pages++) {
      if (pages > 10_000) throw new CanvasApiError(0, path, 'Canvas pagination does not end');
      const { data, next }: { data: unknown; next?: string } = await this.request<unknown>(url);
      out.push(...(pick ? pick(data) : (data as T[])));
      url = next;
    }
    return out;
  }

  private url(path: string, query: Query): string {
    const url = new URL(`${this.apiBase}${path}`);
    for (const [k, v] of Object.entries(query)) {
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  private async request<T>(url: string): Promise<{ data: T; next?: string }> {
    const path = new URL(url).pathname;
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      await this.gate.acquire();
      let res: Response;
      let text: string;
      try {
        if (this.remaining < (this.options.lowQuota ?? 50)) await sleep(this.options.slowDownMs ?? 1_000);
        try {
          res = await (this.options.fetch ?? outboundFetch)(url, {
            headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
          });
          text = await res.text();
        } catch (err) {
          throw new CanvasApiError(0, path, `Canvas is unreachable: ${(err as Error).message}`);
        }
      } finally {
        this.gate.release();
      }
      const remaining = Number(res.headers.get('x-rate-limit-remaining'));
      if (res.headers.has('x-rate-limit-remaining') && Number.isFinite(remaining)) this.remaining = remaining;

      const throttled = res.status === 429 || (res.status === 403 && /rate limit exceeded/i.test(text));
      if (throttled) {
        this.throttled++;
        if (attempt >= maxRetries)
          throw new CanvasApiError(res.status, path, `Canvas kept throttling after ${maxRetries} retries`);
        const retryAfter = Number(res.headers.get('retry-after')) * 1000;
        const backoff = (this.options.backoffMs ?? 1_000) * 2 ** attempt;
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : backoff);
        this.remaining = Number.POSITIVE_INFINITY;
        continue;
      }
      if (!res.ok) throw new CanvasApiError(res.status, path, canvasMessage(res.status, text));
      let data: T;
      try {
        data = JSON.parse(text.replace(/^while\(1\);/, '')) as T;
      } catch {
        throw new CanvasApiError(res.status, path, 'Canvas answered something other than JSON');
      }
      return { data, next: this.nextLink(res.headers.get('link'), path) };
    }
  }

  private nextLink(header: string | null, path: string): string | undefined {
    const next = header
      ?.split(',')
      .map((part) => /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim()))
      .find((m) => m?.[2] === 'next')?.[1];
    if (!next) return undefined;
    if (new URL(next, this.origin).origin !== this.origin)
      throw new CanvasApiError(0, path, 'Canvas paginated to another host; refusing to send the token there');
    return new URL(next, this.origin).toString();
  }
}

/** Canvas error bodies: `{"errors":[{"message":...}]}`, `{"errors":{...}}` or `{"message":...}`. */
function canvasMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: unknown; message?: unknown };
    if (Array.isArray(body.errors)) {
      const messages = body.errors.map((e) => (e as { message?: unknown }).message).filter(Boolean);
      if (messages.length) return `Canvas answered ${status}: ${messages.join('; ')}`;
    }
    if (typeof body.message === 'string') return `Canvas answered ${status}: ${body.message}`;
  } catch {
    // not JSON: fall through
  }
  return `Canvas answered ${status}`;
}
