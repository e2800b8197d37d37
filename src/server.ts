import { once } from 'node:events';
import { loadConfigOrExit } from './config/load.js';
import { connectDatabase, disconnectDatabase, watchDatabase } from './db/connection.js';
import { handleShutdown } from './lifecycle/shutdown.js';
import { warnIfJsonldUnpatched } from './credentials/jsonld-patch.js';
import { createLogger } from './log/logger.js';
import { acceptPreviousKeys } from './security/encryption.js';
import { createQueues } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { reportQueues } from './metrics/collectors.js';
import { createApp } from './web/app.js';
import { adoptLegacyRecords } from './institutions/legacy-adoption.js';
import { broadcastIssuerChanges } from './issuers/change-broadcast.js';
import './db/models/index.js';

/** The web process: LTI endpoints, screens, APIs. Stateless; run as many as needed behind a load balancer. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('web', config.LOG_LEVEL);
  warnIfJsonldUnpatched(logger);
  acceptPreviousKeys(config); // during a key-encryption key rotation
  await connectDatabase(config.MONGODB_URI, logger, {
    socketTimeoutMs: config.DB_SOCKET_TIMEOUT_MS,
    dashboardReadPreference: config.DB_DASHBOARD_READ_PREFERENCE,
  });
  const stopWatch = watchDatabase(logger, {
    reconnectAfterMs: config.DB_RECONNECT_AFTER_MS,
    pingTimeoutMs: config.READINESS_TIMEOUT_MS,
  });
  await adoptLegacyRecords(logger); // records from before institutions get their owner
  const redis = createRedis(config.REDIS_URL, 'client', logger);
  const queues = createQueues(redis, config.QUEUE_PREFIX, logger);
  const stopIssuerBroadcast = broadcastIssuerChanges(redis, config.QUEUE_PREFIX, logger);
  const stopReporting = reportQueues(() => queues.all());
  const app = createApp({ config, logger, redis, queues });
  const server = app.listen(config.PORT, config.HOST);
  await once(server, 'listening');
  const address = server.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : config.PORT }, 'web listening');

  handleShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
    // Stop taking requests, let in-flight ones finish, then close the connections they used.
    ['http', () => new Promise<void>((resolve) => server.close(() => resolve()))],
    ['queues', async () => (stopReporting(), await queues.close())],
    ['redis', async () => (await stopIssuerBroadcast(), await redis.quit())],
    ['mongodb', async () => (stopWatch(), await disconnectDatabase())],
  ]);
}

main().catch((err: unknown) => {
  console.error('web failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
