import type { Logger } from '../log/logger.js';
import type { Queues } from '../queue/queues.js';
import { enqueueNotify, requeueIssue } from './queueing.js';
import { IssuanceRequest } from './request-model.js';
import { CourseBinding } from '../courses/binding-model.js';

export interface ReconcileOptions {
  /** A queued request untouched this long may have lost its job (Redis flushed or restarted empty). */
  staleMs: number;
  claimTimeoutMs: number;
  /** Most requests handled per pass, so one pass stays short. */
  batch?: number;
}

export interface ReconcileResult {
  requeued: number;
  renotified: number;
  /** Issued requests of a binding with a gradebook column that were never scored there. */
  rescored: number;
}

/**
 * MongoDB is the truth, Redis the transport: re-enqueue every request stuck in a non-final state (queued
 * with no recent progress, or claimed by a worker that vanished), every issued credential whose e-mail
 * is still pending, and every one never scored in its course's gradebook column. Enqueueing is idempotent
 * (job id = request id), so a request with a live job is untouched.
 */
export async function reconcile(
  queues: Queues,
  options: ReconcileOptions,
  logger: Logger,
): Promise<ReconcileResult> {
  const now = Date.now();
  const batch = options.batch ?? 5_000;
  const stuck = await IssuanceRequest.find(
    {
      $or: [
        { state: 'queued', updatedAt: { $lt: new Date(now - options.staleMs) } },
        { state: 'signing', claimedAt: { $lt: new Date(now - options.claimTimeoutMs) } },
      ],
    },
    { _id: 1 },
  )
    .limit(batch)
    .lean();
  for (const { _id } of stuck) await requeueIssue(queues, String(_id));

  const unsent = await IssuanceRequest.find(
    { state: 'issued', notification: 'pending', issuedAt: { $lt: new Date(now - options.staleMs) } },
    { _id: 1 },
  )
    .limit(batch)
    .lean();
  for (const { _id } of unsent) await enqueueNotify(queues, String(_id));

  // Issued while a course's new gradebook column was not yet seen (a worker reads bindings a few seconds
  // cached): the score goes there now, through the issuance job, which writes back for an issued request.
  const withColumn = (await CourseBinding.find({ writeBackLineItemUrl: { $ne: '' } }, { _id: 1 }).lean()).map(
    (b) => String(b._id),
  );
  const unscored = withColumn.length
    ? await IssuanceRequest.find(
        {
          bindingId: { $in: withColumn },
          state: 'issued',
          writeBack: 'none',
          issuedAt: { $lt: new Date(now - options.staleMs) },
        },
        { _id: 1 },
      )
        .limit(batch)
        .lean()
    : [];
  for (const { _id } of unscored) await requeueIssue(queues, String(_id));

  const result = { requeued: stuck.length, renotified: unsent.length, rescored: unscored.length };
  if (result.requeued + result.renotified + result.rescored > 0)
    logger.info(result, 'reconciler re-enqueued work');
  return result;
}
