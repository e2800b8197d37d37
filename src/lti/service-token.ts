import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { outboundFetch } from '../net/outbound.js';
import { LtiServiceError } from './errors.js';
import type { PlatformDoc } from './models.js';
import type { ToolKeys } from './tool-keys.js';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Renew this long before the platform's expiry, so a token never lapses mid-request. */
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Access tokens for LTI Advantage services (1EdTech Security Framework §4.1): client_credentials grant with a
 * JWT assertion signed by the tool's key. Cached per platform and scope set until shortly before expiry;
 * callers drop a token that got a 401 and ask again.
 */
export class ServiceTokens {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly toolKeys: ToolKeys,
    private readonly timeoutMs = 10_000,
  ) {}

  async get(platform: PlatformDoc, scopes: string[]): Promise<string> {
    const key = cacheKey(platform, scopes);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return cached.token;
    // One request per key at a time: concurrent callers share it.
    let inFlight = this.pending.get(key);
    if (!inFlight) {
      inFlight = this.request(platform, scopes).finally(() => this.pending.delete(key));
      this.pending.set(key, inFlight);
    }
    return inFlight;
  }

  invalidate(platform: PlatformDoc, scopes: string[]): void {
    this.cache.delete(cacheKey(platform, scopes));
  }

  private async request(platform: PlatformDoc, scopes: string[]): Promise<string> {
    // Signed with the keys of the platform's institution, the only ones its LMS registered.
    const { kid, privateKey } = await this.toolKeys.signingKey(platform.toolKeyScope);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(platform.clientId)
      .setSubject(platform.clientId)
      .setAudience(platform.tokenAudience || platform.tokenUrl)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti(randomUUID())
      .sign(privateKey);
    let res: Response;
    try {
      res = await outboundFetch(platform.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
          scope: [...scopes].sort().join(' '),
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // OutboundError: the same words for a refused address, a closed port and a timeout.
      throw new LtiServiceError(502, `unreachable (${(err as Error).message})`, platform.tokenUrl);
    }
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
    };
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new LtiServiceError(
        res.status,
        typeof body.error === 'string' ? body.error : 'no access token',
        platform.tokenUrl,
      );
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    this.cache.set(cacheKey(platform, scopes), {
      token: body.access_token,
      expiresAt: Date.now() + expiresIn * 1000,
    });
    return body.access_token;
  }
}

function cacheKey(platform: PlatformDoc, scopes: string[]): string {
  return `${String(platform._id)} ${[...scopes].sort().join(' ')}`;
}
