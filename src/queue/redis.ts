import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { parseRedisUrl } from './redis-topology.js';

/** A connection to Redis as REDIS_URL describes it: one server, a Sentinel-watched primary, or a cluster. */
export type RedisClient = Redis | Cluster;

/**
 * `worker` connections block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest: null);
 * `client` connections (queue producers, health checks) fail fast so a request never hangs on a lost Redis.
 * Through Sentinel, a failover is followed: the client asks the sentinels for the new primary and reconnects
 * (a primary that became a replica refuses writes, which makes it reconnect too). In a cluster, a moved slot is
 * followed the same way. MongoDB holds every request, so a job lost in a failover is enqueued again by the
 * reconciler.
 */
export function createRedis(url: string, role: 'worker' | 'client', logger: Logger): RedisClient {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  const retryStrategy = (times: number) => Math.min(times * 200, 2_000);
  const topology = parseRedisUrl(url);
  if ('problem' in topology) throw new Error(`REDIS_URL: ${topology.problem}`);
  let redis: RedisClient;
  if (topology.kind === 'single') {
    redis = new Redis(url, { ...options, lazyConnect: false, retryStrategy });
  } else if (topology.kind === 'sentinel') {
    const auth = {
      ...(topology.username ? { username: topology.username } : {}),
      ...(topology.password ? { password: topology.password } : {}),
    };
    redis = new Redis({
      ...options,
      ...auth,
      sentinels: topology.sentinels,
      name: topology.name,
      db: topology.db,
      ...(topology.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: retryStrategy,
      retryStrategy,
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  } else {
    redis = new Cluster(topology.nodes, {
      // Blocking commands of BullMQ workers wait as long as they must; producers fail fast, as above.
      enableOfflineQueue: role === 'worker',
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: {
        ...options,
        ...(topology.username ? { username: topology.username } : {}),
        ...(topology.password ? { password: topology.password } : {}),
        ...(topology.tls ? { tls: {} } : {}),
      },
    });
  }
  let lastError = '';
  redis.on('error', (err: Error) => {
    // Reconnect attempts repeat the same error; log each distinct one once.
    if (err.message !== lastError)
      logger.warn({ component: 'redis', role, topology: topology.kind, err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
    logger.info({ component: 'redis', role, topology: topology.kind }, 'redis ready');
  });
  return redis;
}
