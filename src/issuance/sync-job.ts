import { gradeSyncErrors, gradeSyncSeconds, secondsSince } from '../metrics/metrics.js';
import type { Job } from 'bullmq';
import { CourseBinding, type CourseBindingDoc } from '../courses/binding-model.js';
import type { GradeSource } from '../grades/source.js';
import type { Queues } from '../queue/queues.js';
import { enqueueSyncs } from './queueing.js';
import { syncBinding, type SyncDeps, type SyncSummary } from './sync.js';

export const SYNC_ACTIVE = 'sync-active';

export interface SyncJobDeps extends SyncDeps {
  sourceFor(binding: CourseBindingDoc): Promise<GradeSource>;
  activeDays: number;
}

/** The repeatable job that syncs every enabled binding of a course launched in the last `activeDays`. */
export async function scheduleActiveSync(queues: Queues, everyMs: number): Promise<void> {
  await queues.gradeSync.upsertJobScheduler(
    SYNC_ACTIVE,
    { every: everyMs },
    { name: SYNC_ACTIVE, opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
}

export function gradeSyncProcessor(deps: SyncJobDeps) {
  return async (job: Job<{ bindingId?: string }>): Promise<SyncSummary | { enqueued: number } | string> => {
    if (job.name === SYNC_ACTIVE) {
      const since = new Date(Date.now() - deps.activeDays * 86_400_000);
      const enqueued = await enqueueSyncs(deps.queues, { enabled: true, lastActiveAt: { $gte: since } });
      return { enqueued };
    }
    // Grades that change while a sync runs (a CSV import, an award) ask for a sync the queue folds into this
    // running job: compare the request count before and after, and sync again while it moved (a few rounds).
    for (let round = 1; ; round++) {
      const binding = await CourseBinding.findById(job.data.bindingId);
      if (!binding || !binding.enabled) return 'binding disabled or gone';
      const requestsSeen = binding.syncRequests ?? 0;
      const summary = await syncOnce(binding, deps);
      const after = await CourseBinding.findById(binding._id, { syncRequests: 1 }).lean();
      if ((after?.syncRequests ?? 0) === requestsSeen || round >= MAX_ROUNDS) return summary;
    }
  };
}

const MAX_ROUNDS = 3;

async function syncOnce(binding: CourseBindingDoc, deps: SyncJobDeps): Promise<SyncSummary> {
  binding.set('sync.status', 'running');
  await binding.save();
  const started = performance.now();
  const platform = String(binding.platformId);
  try {
    const summary = await syncBinding(binding, await deps.sourceFor(binding), deps);
    gradeSyncSeconds.observe({ platform, outcome: 'ok' }, secondsSince(started));
    return summary;
  } catch (err) {
    gradeSyncSeconds.observe({ platform, outcome: 'failed' }, secondsSince(started));
    gradeSyncErrors.inc({ platform });
    // Shown to the instructor; the job is retried with backoff.
    binding.set('sync', {
      ...binding.toObject().sync,
      status: 'failed',
      at: new Date(),
      problems: [(err as Error).message],
    });
    await binding.save();
    throw err;
  }
}
