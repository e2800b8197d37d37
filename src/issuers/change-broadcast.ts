import { Cluster } from 'ioredis';
import type { RedisClient } from '../queue/redis.js';
import type { Logger } from '../log/logger.js';
import { dropIssuerCache } from './issuer-cache.js';
import { onIssuersChanged } from './issuer-changes.js';

/**
 * Carries issuer changes between processes: a change made here (a key rotation in the admin console, a new
 * issuer) is published on RedisClient, and a change published by any process drops this process's issuer cache, so
 * no process signs with a retired key or serves an old DID document once the change is stored. A subscriber
 * that reconnects drops the cache too: notices sent while it was away are lost.
 */
export function broadcastIssuerChanges(
  redis: RedisClient,
  prefix: string,
  logger: Logger,
): () => Promise<void> {
  const channel = `${prefix}:issuers-changed`;
  // Its own connection (a subscriber can do nothing else), waiting through outages rather than failing.
  const subscriber =
    redis instanceof Cluster
      ? redis.duplicate(undefined, { enableOfflineQueue: true, redisOptions: { maxRetriesPerRequest: null } })
      : redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true });
  subscriber.on('error', () => undefined); // the connection's own reconnects are logged by `redis`
  subscriber.on('message', (from: string) => from === channel && dropIssuerCache());
  let subscribed = false;
  subscriber.on('ready', () => {
    if (subscribed) dropIssuerCache();
    subscribed = true;
  });
  // Not awaited: with RedisClient away the process still starts (the subscription follows when RedisClient is back, and
  // the cache is dropped then, since notices sent meanwhile are lost).
  subscriber.subscribe(channel).catch((err: Error) => {
    logger.warn({ component: 'issuers', err: err.message }, 'issuer changes not subscribed');
  });
  const unlisten = onIssuersChanged(() => {
    redis.publish(channel, String(process.pid)).catch((err: Error) => {
      logger.warn(
        { component: 'issuers', err: err.message },
        'issuer change not broadcast; others catch up within 5 min',
      );
    });
  });
  return async () => {
    unlisten();
    await subscriber.quit().catch(() => undefined);
  };
}
