import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { outboundFetch } from '../net/outbound.js';

export interface PlatformJwksOptions {
  /** Minimum time between two fetches of one JWKS, so forged kids cannot make us hammer a platform. */
  cooldownMs?: number;
  /** How long a fetched JWKS is trusted before it is fetched again. */
  maxAgeMs?: number;
  timeoutMs?: number;
}

/**
 * Platform JWKS, one cached key set per JWKS URL. jose's remote set looks a key up by `kid`, refetches the
 * set when a token names a kid it does not hold (platform key rotation) and refuses when it still is not there.
 */
export class PlatformJwks {
  private readonly sets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: PlatformJwksOptions = {}) {}

  forUrl(jwksUrl: string): JWTVerifyGetKey {
    let set = this.sets.get(jwksUrl);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUrl), {
        cooldownDuration: this.options.cooldownMs ?? 10_000,
        cacheMaxAge: this.options.maxAgeMs ?? 600_000,
        timeoutDuration: this.options.timeoutMs ?? 5_000,
        // jose fetches with redirect: 'manual', so a JWKS that redirects is refused rather than followed.
        [customFetch]: outboundFetch,
      });
      this.sets.set(jwksUrl, set);
    }
    return set;
  }
}
