import type { Job } from 'bullmq';
import { deleteExpired } from '../db/expiry.js';
import type { Logger } from '../log/logger.js';
import type { Queues } from '../queue/queues.js';

export const SWEEP_EXPIRED = 'sweep-expired';

/** Schedules the periodic sweep; the scheduler id makes this idempotent across restarts and replicas. */
export async function scheduleMaintenance(queues: Queues, everyMs: number): Promise<void> {
  await queues.maintenance.upsertJobScheduler(
    SWEEP_EXPIRED,
    { every: everyMs },
    { name: SWEEP_EXPIRED, opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
}

export function maintenanceProcessor(logger: Logger) {
  return async (job: Job): Promise<Record<string, number>> => {
    if (job.name !== SWEEP_EXPIRED) throw new Error(`unknown maintenance job "${job.name}"`);
    const removed = await deleteExpired();
    logger.info({ job: job.name, removed }, 'expired records removed');
    return removed;
  };
}
