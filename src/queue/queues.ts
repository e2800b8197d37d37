import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

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

export function createQueues(connection: Redis, prefix: string): Queues {
  const queues = Object.fromEntries(
    Object.entries(queueNames).map(([key, name]) => [key, new Queue(name, { connection, prefix })]),
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
