import type { RedisClient } from '../queue/redis.js';
import { pingDatabase, withTimeout } from '../db/connection.js';

export interface CheckResult {
  ok: boolean;
  error?: string;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
  /** One sentence naming every failed dependency, for operators reading a probe's output. */
  message: string;
}

export interface ReadinessDeps {
  redis: RedisClient;
  timeoutMs: number;
}

async function check(fn: () => Promise<unknown>): Promise<CheckResult> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function checkReadiness({ redis, timeoutMs }: ReadinessDeps): Promise<Readiness> {
  const [mongodb, redisCheck] = await Promise.all([
    check(() => pingDatabase(timeoutMs)),
    check(() => withTimeout(redis.ping(), timeoutMs)),
  ]);
  const checks = { mongodb, redis: redisCheck };
  const failed = Object.entries(checks).filter(([, c]) => !c.ok);
  const message =
    failed.length === 0
      ? 'ready'
      : `not ready: ${failed.map(([name, c]) => `${name} unavailable (${c.error})`).join('; ')}`;
  return { ok: failed.length === 0, checks, message };
}
