import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { addressRange, isPublicAddress } from './addresses.js';
import { isAllowedHost, parseHostAllowance, type HostAllowance } from './allowed-hosts.js';

/**
 * The one way the server makes HTTP requests (LTI registration, platform JWKS, service tokens, AGS/NRPS,
 * Moodle and Canvas APIs). Every URL those take comes from outside (an LMS's configuration, an admin's form),
 * so none may make the server reach loopback, private, link-local or cloud-metadata addresses, and no failure
 * may tell a caller more than "could not be reached": otherwise the tool is a port scanner of its own network.
 */

/** Every refusal and network failure, whatever the cause; the cause is kept for server logs only. */
export class OutboundError extends Error {
  constructor(
    /** The host the caller asked for (not where a redirect led). */
    readonly host: string,
    cause: unknown,
  ) {
    // `cause` is non-enumerable: JSON and error pages built from this error show the message alone.
    super(`${host} could not be reached`, { cause });
    this.name = 'OutboundError';
  }
}

export type OutboundFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that identify the caller to the origin they were meant for. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

export interface OutboundSettings {
  /**
   * OUTBOUND_ALLOW_PRIVATE_HOSTS: entries `host` or `host:port` whose URLs may reach private and loopback
   * addresses (an LMS on the institution's network, the simulators of the demo and tests).
   */
  allowPrivateHosts: readonly string[];
  /** OUTBOUND_CA_FILE: PEM certificates trusted for HTTPS besides the public roots (an institution's own CA). */
  extraCa?: string;
  /** Told the real cause of each OutboundError (host only, no path), for the server's log. */
  onFailure?: (failure: { host: string; reason: string }) => void;
}

let allowances: HostAllowance[] = [];
let onFailure: OutboundSettings['onFailure'];

/** Set once at start. Until then, and for every URL not allowed, only public addresses are reached. */
export function configureOutbound(settings: OutboundSettings): void {
  allowances = settings.allowPrivateHosts.map((entry) => {
    const allowance = parseHostAllowance(entry);
    if (!allowance) throw new Error(`"${entry}" is not a host or host:port`);
    return allowance;
  });
  onFailure = settings.onFailure;
  agents = buildAgents(settings.extraCa);
}

/** The messages of an error and its causes, without fetch's own "fetch failed". */
function reasonOf(err: unknown): string {
  const parts: string[] = [];
  // Duck-typed: Node's own errors may come from another realm (a test VM), where instanceof fails.
  let e: unknown = err;
  while (typeof e === 'object' && e !== null && parts.length < 5) {
    const { message, cause } = e as { message?: unknown; cause?: unknown };
    if (typeof message === 'string' && message !== 'fetch failed') parts.push(message);
    e = cause;
  }
  return parts.join(': ') || String(err);
}

/** The cause kept for the server's log: which address was refused, and what would allow it. */
function refusal(host: string, address: string): Error {
  const what = host === address ? address : `${host} (${address})`;
  return new Error(
    `refused: ${what} is ${addressRange(address)}, not a public address; OUTBOUND_ALLOW_PRIVATE_HOSTS can allow its host`,
  );
}

/**
 * Resolves like dns.lookup, refusing a name with any address that is not public. The socket connects to the
 * address returned here, so a DNS answer that changes between a check and the connection (rebinding) cannot
 * slip through.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    const first = addresses[0];
    if (refused || !first)
      return callback(refused ? refusal(hostname, refused.address) : new Error('no address'), '');
    if (options.all) callback(null, addresses);
    else callback(null, first.address, first.family);
  });
};

/** The two agents: one that reaches public addresses only, one for allowed hosts; both trust `extraCa` too. */
function buildAgents(extraCa?: string): { publicOnly: Agent; unrestricted: Agent } {
  const tls = extraCa ? { ca: [...rootCertificates, extraCa] } : {};
  const connectResolved = buildConnector({ lookup: publicOnlyLookup, ...tls });
  /** Node does not call `lookup` for an IP literal: it is checked here, before any socket exists. */
  const connectPublicOnly: buildConnector.connector = (options, callback) => {
    if (isIP(options.hostname) && !isPublicAddress(options.hostname)) {
      callback(refusal(options.hostname, options.hostname), null);
      return;
    }
    connectResolved(options, callback);
  };
  return {
    publicOnly: new Agent({ connect: connectPublicOnly }),
    unrestricted: new Agent({ connect: buildConnector(tls) }),
  };
}

let agents = buildAgents();

function hostOf(input: string | URL): string {
  try {
    return new URL(input).host;
  } catch {
    return 'the address';
  }
}

/**
 * fetch() for server-side requests: http and https only; public addresses only, unless the URL's host is
 * allowed (configureOutbound); redirects followed by hand (at most 5), each hop checked again, a 303 (and a
 * POST's 301 or 302) turned into a GET, and a hop to another origin without the caller's credentials or body.
 * `redirect: 'manual'` returns the redirect itself. Any failure, the caller's signal aborting included, is an
 * OutboundError.
 */
export const outboundFetch: OutboundFetch = async (input, init = {}) => {
  const host = hostOf(input);
  const fail = (cause: unknown) => {
    onFailure?.({ host, reason: reasonOf(cause) });
    return new OutboundError(host, cause);
  };
  let url: URL;
  try {
    url = new URL(input);
  } catch (err) {
    throw fail(err);
  }
  let method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  let body = init.body;
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw fail(new Error(`${url.protocol} is not HTTP`));
    let res: Response;
    try {
      const request: UndiciRequestInit = {
        ...(init as UndiciRequestInit),
        method,
        headers: [...headers],
        body: body as UndiciRequestInit['body'],
        redirect: 'manual',
        dispatcher: isAllowedHost(url, allowances) ? agents.unrestricted : agents.publicOnly,
      };
      res = (await undiciFetch(url, request)) as unknown as Response;
    } catch (err) {
      throw fail(err);
    }
    const location = res.headers.get('location');
    if (!REDIRECT_STATUSES.has(res.status) || location === null || init.redirect === 'manual') return res;
    await res.body?.cancel().catch(() => undefined);
    if (init.redirect === 'error') throw fail(new Error(`redirected (${res.status}) with redirect: 'error'`));
    if (redirects >= MAX_REDIRECTS) throw fail(new Error(`more than ${MAX_REDIRECTS} redirects`));
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (err) {
      throw fail(err);
    }
    const toGet =
      res.status === 303
        ? method !== 'HEAD'
        : (res.status === 301 || res.status === 302) && method === 'POST';
    if (toGet) method = 'GET';
    if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (toGet || next.origin !== url.origin) {
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    url = next;
  }
};
