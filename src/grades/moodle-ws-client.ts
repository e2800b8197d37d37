import { outboundFetch, type OutboundFetch } from '../net/outbound.js';
import { ConcurrencyGate } from './concurrency-gate.js';
/**
 * A client of Moodle's REST web service: `POST {base}/webservice/rest/server.php`, form-encoded, with
 * `wstoken`, `wsfunction` and `moodlewsrestformat=json`. Moodle answers errors with HTTP 200 and a body
 * `{"exception", "errorcode", "message"}`; those become MoodleWsError. The token goes in the body only, never
 * in a URL, so it stays out of proxy and access logs.
 */

export interface WsParams {
  [name: string]: string | number | boolean | WsParams | (string | number | WsParams)[];
}

export class MoodleWsError extends Error {
  constructor(
    readonly wsfunction: string,
    /** Moodle's error code (`nopermissions`, `invalidtoken`, `accessexception`, ...), or `http_<status>`. */
    readonly errorcode: string,
    readonly exception: string,
    message: string,
    /** Moodle's debug detail, sent only by sites with debugging on; the one place access refusals say why. */
    readonly debuginfo?: string,
  ) {
    super(message);
    this.name = 'MoodleWsError';
  }
}

export interface MoodleWsClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  /** Calls in flight at once; Moodle sites are often small, and a sync should not crowd out learners. */
  concurrency?: number;
  /** Tests only: the guarded client is the default, and production never passes another. */
  fetch?: OutboundFetch;
}

/** Moodle's array notation: `{a: [{b: 1}]}` becomes `a[0][b]=1`. */
export function encodeWsParams(params: WsParams, prefix = '', out = new URLSearchParams()): URLSearchParams {
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (v !== null && typeof v === 'object') encodeWsParams(v, `${name}[${i}]`, out);
        else out.append(`${name}[${i}]`, String(v));
      });
    } else if (value !== null && typeof value === 'object') {
      encodeWsParams(value, name, out);
    } else {
      out.append(name, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
    }
  }
  return out;
}

export class MoodleWsClient {
  private readonly endpoint: string;
  private readonly gate: ConcurrencyGate;

  constructor(private readonly options: MoodleWsClientOptions) {
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '')}/webservice/rest/server.php`;
    this.gate = new ConcurrencyGate(options.concurrency ?? 4);
  }

  async call<T>(wsfunction: string, params: WsParams = {}): Promise<T> {
    await this.gate.acquire();
    try {
      const body = encodeWsParams(params);
      body.set('wstoken', this.options.token);
      body.set('wsfunction', wsfunction);
      body.set('moodlewsrestformat', 'json');
      let res: Response;
      try {
        res = await (this.options.fetch ?? outboundFetch)(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch (err) {
        throw new MoodleWsError(
          wsfunction,
          'unreachable',
          'network',
          `Moodle is unreachable: ${(err as Error).message}`,
        );
      }
      const text = await res.text();
      if (!res.ok)
        throw new MoodleWsError(
          wsfunction,
          `http_${res.status}`,
          'http',
          `Moodle answered HTTP ${res.status}`,
        );
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new MoodleWsError(wsfunction, 'not_json', 'http', 'Moodle answered something other than JSON');
      }
      if (data && typeof data === 'object' && !Array.isArray(data) && 'exception' in data) {
        const e = data as {
          exception?: unknown;
          errorcode?: unknown;
          message?: unknown;
          debuginfo?: unknown;
        };
        throw new MoodleWsError(
          wsfunction,
          String(e.errorcode ?? ''),
          String(e.exception ?? ''),
          String(e.message ?? ''),
          typeof e.debuginfo === 'string' ? e.debuginfo : undefined,
        );
      }
      return data as T;
    } finally {
      this.gate.release();
    }
  }
}
