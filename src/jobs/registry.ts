import { Worker, type Processor } from 'bullmq';
import type { RedisClient } from '../queue/redis.js';
import { queueKeyPrefix } from '../queue/redis-topology.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { queueNames, type QueueName } from '../queue/queues.js';
import { retryWhileDatabaseAway } from './database-away.js';
import { maintenanceProcessor } from './maintenance.js';

export interface JobHandler {
  queue: QueueName;
  processor: Processor;
  concurrency: number;
}

/** One BullMQ worker per handler: the maintenance queue always, plus what `extra` brings (the issuance pipeline). */
export function startWorkers(
  connection: RedisClient,
  config: Config,
  logger: Logger,
  extra: JobHandler[] = [],
): Worker[] {
  const handlers: JobHandler[] = [
    { queue: queueNames.maintenance, processor: maintenanceProcessor(logger), concurrency: 1 },
    ...extra,
  ];
  return handlers.map(({ queue, processor, concurrency }) => {
    // ISSUE_BACKOFF_MS, the first step of the issue backoff, is also how soon any job runs again after it could not
    // reach the database.
    const worker = new Worker(queue, retryWhileDatabaseAway(processor, config.ISSUE_BACKOFF_MS), {
      connection,
      prefix: queueKeyPrefix(config.QUEUE_PREFIX, queue),
      concurrency,
      // A killed worker's jobs come back after the lock lapses and the next stalled-job check runs.
      lockDuration: config.JOB_LOCK_MS,
      stalledInterval: config.JOB_LOCK_MS,
    });
    worker.on('failed', (job, err) =>
      logger.warn({ queue, job: job?.name, jobId: job?.id, err: err.message }, 'job failed'),
    );
    worker.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
    return worker;
  });
}
