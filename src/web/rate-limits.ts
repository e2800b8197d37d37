import { rateLimited } from '../metrics/metrics.js';
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import { Cluster } from 'ioredis';
import type { RedisClient } from '../queue/redis.js';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';

export interface RateLimits {
  /** POST /admin/login: password guessing. */
  login: RequestHandler;
  /**
   * POST /credentials/verify and /presentations/verify, the public verify form, and a stored credential's page and JSON verification:
   * anonymous and CPU-heavy (signature checks).
   */
  verify: RequestHandler;
  /** The VC API (POST /credentials/issue, /credentials/status): signing is CPU-heavy even for a valid token. */
  vcApi: RequestHandler;
}

const WINDOW_MS = 60_000;
const pass: RequestHandler = (_req, _res, next) => next();

/**
 * Per-client-IP limits kept in RedisClient, so they hold across every web process. Counting fails open: while RedisClient
 * is unreachable requests pass (and a warning is logged) rather than the public verifier going down with it;
 * the admin login keeps its own per-account lockout in MongoDB.
 */
export function createRateLimits(config: Config, redis: RedisClient, logger: Logger): RateLimits {
  if (config.RATE_LIMIT_DISABLED) return { login: pass, verify: pass, vcApi: pass };
  const prefix = `${config.QUEUE_PREFIX}:rl:`;
  const limiter = (name: string, limit: number, what: string) =>
    rateLimit({
      windowMs: WINDOW_MS,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      passOnStoreError: true,
      store: new RedisStore({ prefix: `${prefix}${name}:`, sendCommand: sendCommand(redis) }),
      logger: {
        error: (err: unknown) => logger.warn({ limiter: name, err: String(err) }, 'rate limit store error'),
        warn: (err: unknown) => logger.warn({ limiter: name, err: String(err) }, 'rate limit warning'),
      } as Options['logger'],
      handler: (_req, res, _next, options) => {
        rateLimited.inc({ limit: name });
        const retryAfter = Number(res.getHeader('retry-after')) || Math.ceil(options.windowMs / 1000);
        res.setHeader('Retry-After', String(retryAfter));
        res.status(429).json({
          error: {
            code: 'rate_limited',
            message: `Too many ${what} from this address; try again in ${retryAfter} s.`,
          },
        });
      },
    });
  return {
    login: limiter('login', config.RATE_LIMIT_LOGIN_PER_MINUTE, 'sign-in attempts'),
    verify: limiter('verify', config.RATE_LIMIT_VERIFY_PER_MINUTE, 'verification requests'),
    vcApi: limiter('vc-api', config.RATE_LIMIT_VC_API_PER_MINUTE, 'VC API requests'),
  };
}

/**
 * rate-limit-redis caches the SHA of its Lua script from SCRIPT LOAD and keeps a failed load forever. The app's
 * client does not queue commands while disconnected, so a load at start-up can fail: answer it with the SHA
 * computed here instead (it is the script's SHA-1), and EVALSHA's NOSCRIPT makes the store load it once RedisClient
 * is back (also after a RedisClient restart).
 */
function sendCommand(redis: RedisClient) {
  return async (command: string, ...args: string[]): Promise<RedisReply> => {
    if (command === 'SCRIPT' && args[0] === 'LOAD' && args[1] !== undefined) {
      const script = args[1];
      // On a cluster a script is loaded where its key lives, which may be any primary: load it on every one
      // (a lone SCRIPT LOAD reaches one node, and counting on the others failed open).
      const load =
        redis instanceof Cluster
          ? Promise.all(redis.nodes('master').map((node) => node.call('SCRIPT', 'LOAD', script)))
          : redis.call('SCRIPT', 'LOAD', script);
      const sha = createHash('sha1').update(script).digest('hex');
      return load.then(
        () => sha,
        () => sha,
      );
    }
    return redis.call(command, ...args) as Promise<RedisReply>;
  };
}
