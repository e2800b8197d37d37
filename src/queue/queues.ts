import { Queue } from 'bullmq';
import type { Logger } from '../log/logger.js';
import type { RedisClient } from './redis.js';
import { queueKeyPrefix } from './redis-topology.js';

/** Every BullMQ queue of the product. Redis is only the transport: MongoDB holds the truth of each job. */
export const queueNames = {
  maintenance: 'maintenance',
  gradeSync: 'grade-sync',
  issue: 'issue',
  notify: 'notify',
} as const;

export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export type Queues = Record<keyof typeof queueNames, Queue> & {
  all(): Queue[];
  close(): Promise<void>;
};

/**
 * The producers of every queue on one connection. `logger` receives their errors (a lost Redis), which
 * would otherwise go to stderr as unhandled 'error' events; the connection's own errors are logged already.
 */
export function createQueues(connection: RedisClient, prefix: string, logger?: Logger): Queues {
  const queues = Object.fromEntries(
    Object.entries(queueNames).map(([key, name]) => {
      const queue = new Queue(name, { connection, prefix: queueKeyPrefix(prefix, name) });
      queue.on('error', (err: Error) =>
        logger?.debug({ component: 'queue', queue: name, err: err.message }, 'queue error'),
      );
      return [key, queue];
    }),
  ) as Record<keyof typeof queueNames, Queue>;
  const all = () => Object.values(queues);
  return {
    ...queues,
    all,
    close: async () => {
      await Promise.all(all().map((q) => q.close()));
    },
  };
}
