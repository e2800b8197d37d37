import { Worker, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { queueNames, type QueueName } from '../queue/queues.js';
import { maintenanceProcessor } from './maintenance.js';

interface JobHandler {
  queue: QueueName;
  processor: Processor;
  concurrency: number;
}

/** Which processor serves which queue. A new queue gets its line here and nowhere else. */
function handlers(config: Config, logger: Logger): JobHandler[] {
  return [{ queue: queueNames.maintenance, processor: maintenanceProcessor(logger), concurrency: 1 }];
}

export function startWorkers(connection: Redis, config: Config, logger: Logger): Worker[] {
  return handlers(config, logger).map(({ queue, processor, concurrency }) => {
    const worker = new Worker(queue, processor, { connection, prefix: config.QUEUE_PREFIX, concurrency });
    worker.on('failed', (job, err) =>
      logger.warn({ queue, job: job?.name, jobId: job?.id, err: err.message }, 'job failed'),
    );
    worker.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
    return worker;
  });
}
