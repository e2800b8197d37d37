import { LtiServiceError } from './errors.js';
import type { PlatformDoc } from './models.js';
import type { ServiceTokens } from './service-token.js';

export interface ServiceResponse<T> {
  body: T;
  next?: string;
}

/** Largest number of pages one listing follows, so a platform that links pages in a circle cannot hold us forever. */
export const MAX_PAGES = 1_000;

/**
 * Bearer calls to one platform's LTI Advantage services, retried once with a fresh token after a 401 (the
 * platform may have revoked or expired the cached one). Pages are followed through `Link: <...>; rel="next"`
 * only while they stay on the origin of the first URL, so the token never goes to another host.
 */
export class ServiceClient {
  constructor(
    private readonly platform: PlatformDoc,
    private readonly tokens: ServiceTokens,
    private readonly timeoutMs = 15_000,
  ) {}

  async call<T>(
    method: string,
    url: string,
    scopes: string[],
    accept: string,
    body?: { type: string; data: unknown },
  ): Promise<ServiceResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(this.platform, scopes);
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept,
          ...(body ? { 'content-type': body.type } : {}),
        },
        body: body ? JSON.stringify(body.data) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.tokens.invalidate(this.platform, scopes);
        continue;
      }
      const text = await res.text();
      if (!res.ok) throw new LtiServiceError(res.status, reasonOf(text, res.statusText), url);
      return {
        body: (text ? JSON.parse(text) : undefined) as T,
        next: nextLink(res.headers.get('link'), url),
      };
    }
  }

  /** GETs every page of a paged container and concatenates what `pick` takes from each. */
  async all<T, P>(url: string, scopes: string[], accept: string, pick: (page: P) => T[]): Promise<T[]> {
    const out: T[] = [];
    let pageUrl: string | undefined = url;
    for (let pages = 0; pageUrl; pages++) {
      if (pages >= MAX_PAGES) throw new LtiServiceError(508, `more than ${MAX_PAGES} pages`, url);
      const page: ServiceResponse<P> = await this.call<P>('GET', pageUrl, scopes, accept);
      out.push(...pick(page.body));
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

function reasonOf(text: string, fallback: string): string {
  try {
    const body = JSON.parse(text) as { reason?: unknown; error?: unknown; message?: unknown };
    for (const v of [body.reason, body.message, body.error]) if (typeof v === 'string') return v;
  } catch {
    // not JSON: fall through
  }
  return fallback || 'error';
}
