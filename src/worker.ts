import { once } from 'node:events';
import express from 'express';
import { loadConfigOrExit } from './config/load.js';
import { connectDatabase, disconnectDatabase, watchDatabase } from './db/connection.js';
import { healthRouter } from './health/routes.js';
import { reportQueues } from './metrics/collectors.js';
import { metricsRouter } from './metrics/routes.js';
import { scheduleMaintenance } from './jobs/maintenance.js';
import { startWorkers } from './jobs/registry.js';
import { createPipeline } from './issuance/pipeline.js';
import { handleShutdown } from './lifecycle/shutdown.js';
import { warnIfJsonldUnpatched } from './credentials/jsonld-patch.js';
import { createLogger } from './log/logger.js';
import { acceptPreviousKeys } from './security/encryption.js';
import { createQueues } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { broadcastIssuerChanges } from './issuers/change-broadcast.js';
import { adoptLegacyRecords } from './institutions/legacy-adoption.js';
import './db/models/index.js';

/** The worker process: runs BullMQ jobs. Run several for throughput; MongoDB keeps each job's effect once. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.LOG_LEVEL);
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
  const blocking = createRedis(config.REDIS_URL, 'worker', logger);
  const client = createRedis(config.REDIS_URL, 'client', logger);
  const queues = createQueues(client, config.QUEUE_PREFIX, logger);
  const stopIssuerBroadcast = broadcastIssuerChanges(client, config.QUEUE_PREFIX, logger);
  await scheduleMaintenance(queues, config.MAINTENANCE_INTERVAL_MS);
  // Without the key-encryption key nothing can be signed: such a worker only does maintenance.
  const pipeline = config.KEY_ENCRYPTION_KEY ? createPipeline(config, logger, queues) : undefined;
  if (!pipeline) logger.warn('KEY_ENCRYPTION_KEY is not set: this worker issues no credentials');
  warnIfJsonldUnpatched(logger);
  const workers = startWorkers(blocking, config, logger, pipeline?.handlers);
  pipeline?.startReconciler();

  const stopReporting = reportQueues(() => queues.all());
  const health = express();
  health.use(metricsRouter(config.METRICS_TOKEN));
  health.use(
    healthRouter({ redis: client, timeoutMs: config.READINESS_TIMEOUT_MS }, async () => ({
      queues: workers.map((w) => ({ name: w.name, running: w.isRunning() })),
    })),
  );
  const server = health.listen(config.WORKER_HEALTH_PORT, config.HOST);
  await once(server, 'listening');
  logger.info(
    { queues: workers.map((w) => w.name), healthPort: config.WORKER_HEALTH_PORT },
    'worker started',
  );

  handleShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
    // Worker.close() stops fetching and waits for the jobs in hand to finish.
    ['reconciler', async () => pipeline?.stop()],
    ['workers', () => Promise.all(workers.map((w) => w.close()))],
    ['health', () => new Promise<void>((resolve) => server.close(() => resolve()))],
    ['queues', async () => (stopReporting(), await queues.close())],
    ['redis', async () => (await stopIssuerBroadcast(), await Promise.all([blocking.quit(), client.quit()]))],
    ['mongodb', async () => (stopWatch(), await disconnectDatabase())],
  ]);
}

main().catch((err: unknown) => {
  console.error('worker failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
