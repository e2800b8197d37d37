import type { JobsOptions } from 'bullmq';
import type { QueryFilter } from 'mongoose';
import { CourseBinding, type CourseBindingData } from '../courses/binding-model.js';
import type { Queues } from '../queue/queues.js';

/**
 * Job ids are derived from MongoDB ids, so a job enqueued twice (a repeated sync, the reconciler, a retry)
 * is one job while it waits. Finished jobs are removed, so the reconciler can enqueue the id again.
 */
export const issueJobId = (requestId: string) => requestId;
export const notifyJobId = (requestId: string) => `notify-${requestId}`;
export const syncJobId = (bindingId: string) => `sync-${bindingId}`;

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

let retryPolicy: RetryPolicy = { attempts: 5, backoffMs: 5_000 };

/** Set once at start from ISSUE_ATTEMPTS and ISSUE_BACKOFF_MS. */
export function setRetryPolicy(policy: RetryPolicy): void {
  retryPolicy = policy;
}

export function retryOptions(): Pick<
  JobsOptions,
  'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'
> {
  return {
    attempts: retryPolicy.attempts,
    backoff: { type: 'exponential', delay: retryPolicy.backoffMs },
    removeOnComplete: true,
    removeOnFail: { count: 1_000 },
  };
}

export async function enqueueIssue(queues: Queues, requestIds: string[]): Promise<void> {
  if (requestIds.length === 0) return;
  await queues.issue.addBulk(
    requestIds.map((id) => ({
      name: 'issue',
      data: { requestId: id },
      opts: { jobId: issueJobId(id), ...retryOptions() },
    })),
  );
}

export async function enqueueNotify(queues: Queues, requestId: string): Promise<void> {
  await queues.notify.add('notify', { requestId }, { jobId: notifyJobId(requestId), ...retryOptions() });
}

/**
 * A sync for the binding, unless one is already waiting: launches within `debounceMs` share one sync. The request
 * is counted first, so a sync already running when it arrives runs once more (see gradeSyncProcessor).
 */
export async function enqueueSync(queues: Queues, bindingId: string, debounceMs = 0): Promise<void> {
  await CourseBinding.updateOne({ _id: bindingId }, { $inc: { syncRequests: 1 } });
  await addSyncJob(queues, bindingId, debounceMs);
}

/**
 * enqueueSync for every binding `filter` matches, counted with one update (which may also `$set` fields,
 * e.g. the launch time) rather than one per binding.
 */
export async function enqueueSyncs(
  queues: Queues,
  filter: QueryFilter<CourseBindingData>,
  debounceMs = 0,
  set: Partial<CourseBindingData> = {},
): Promise<number> {
  await CourseBinding.updateMany(filter, { $set: set, $inc: { syncRequests: 1 } });
  const bindings = await CourseBinding.find(filter, { _id: 1 }).lean();
  for (const { _id } of bindings) await addSyncJob(queues, String(_id), debounceMs);
  return bindings.length;
}

async function addSyncJob(queues: Queues, bindingId: string, debounceMs: number): Promise<void> {
  await queues.gradeSync.add(
    'sync',
    { bindingId },
    {
      jobId: syncJobId(bindingId),
      delay: debounceMs,
      attempts: 3,
      backoff: { type: 'exponential', delay: 10_000 },
      removeOnComplete: true,
      removeOnFail: { count: 1_000 },
    },
  );
}

/** Re-enqueues a job whose earlier run failed for good (an instructor's "retry"): the old one is dropped. */
export async function requeueIssue(queues: Queues, requestId: string): Promise<void> {
  const previous = await queues.issue.getJob(issueJobId(requestId));
  if (previous && (await previous.isFailed())) await previous.remove();
  await enqueueIssue(queues, [requestId]);
}

/** After a launch from a course: its enabled bindings count as active and get one (debounced) sync. */
export async function courseLaunched(queues: Queues, courseId: string, debounceMs: number): Promise<void> {
  await enqueueSyncs(queues, { courseId, enabled: true }, debounceMs, { lastActiveAt: new Date() });
}
