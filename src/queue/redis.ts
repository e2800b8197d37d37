import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';

/**
 * `worker` connections block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest: null);
 * `client` connections (queue producers, health checks) fail fast so a request never hangs on a lost Redis.
 */
export function createRedis(url: string, role: 'worker' | 'client', logger: Logger): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  const redis = new Redis(url, {
    ...options,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // Reconnect attempts repeat the same error; log each distinct one once.
    if (err.message !== lastError) logger.warn({ component: 'redis', role, err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
    logger.info({ component: 'redis', role }, 'redis ready');
  });
  return redis;
}
