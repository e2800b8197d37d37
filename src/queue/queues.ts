import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** Every BullMQ queue of the product. Redis is only the transport: MongoDB holds the truth of each job. */
export const queueNames = {
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export interface Queues {
  maintenance: Queue;
  all(): Queue[];
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix: string): Queues {
  const maintenance = new Queue(queueNames.maintenance, { connection, prefix });
  const all = () => [maintenance];
  return {
    maintenance,
    all,
    close: async () => {
      await Promise.all(all().map((q) => q.close()));
    },
  };
}
