import { credentialsIssued, issueSeconds, secondsSince } from '../metrics/metrics.js';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../log/logger.js';
import { CourseBinding } from '../courses/binding-model.js';
import { cachedReads } from '../db/cached-reads.js';
import { isDatabaseUnavailable } from '../db/connection.js';
import { learnerAddress } from '../notifications/address.js';
import type { Queues } from '../queue/queues.js';
import type { CredentialOps, GradeWriteBack } from './ports.js';
import { enqueueNotify } from './queueing.js';
import { IssuanceRequest, type IssuanceRequestDoc } from './request-model.js';

export interface IssueDeps {
  queues: Queues;
  credentials: CredentialOps;
  writeBack?: GradeWriteBack;
  logger: Logger;
  claimTimeoutMs: number;
  /** Public URL of a credential, for the LMS comment and the e-mail. */
  credentialUrl(credentialId: string): string;
  /** Whether learner e-mail is set up (SMTP_URL); without it no notify job is queued at all. */
  mailEnabled: boolean;
}

const BINDING_CACHE_MS = 5_000;

/** The job outcome, for logs and tests. */
export type IssueOutcome = 'issued' | 'already-issued' | 'not-issuable';

/** Thrown when another attempt holds the request; BullMQ retries after the backoff, by then the claim may be stale. */
export class ClaimHeldError extends Error {
  constructor(requestId: string) {
    super(`request ${requestId} is being issued by another attempt`);
    this.name = 'ClaimHeldError';
  }
}

/**
 * Claims the request with one atomic update: from `queued`, or from `signing` when the claim is older than
 * the claim timeout (its worker died). Only the claimant signs, so two jobs never make two credentials.
 */
async function claim(requestId: string, claimTimeoutMs: number): Promise<IssuanceRequestDoc | null> {
  const now = new Date();
  return IssuanceRequest.findOneAndUpdate(
    {
      _id: requestId,
      $or: [
        { state: 'queued' },
        { state: 'signing', claimedAt: { $lt: new Date(now.getTime() - claimTimeoutMs) } },
      ],
    },
    { $set: { state: 'signing', claimedAt: now }, $inc: { attempts: 1 } },
    { returnDocument: 'after' },
  );
}

/**
 * Issues one credential: claim, build and sign both documents (stored under the request id, so a retry
 * after a crash finds them instead of signing again), mark issued, write back to the LMS, queue the e-mail.
 */
export function issueProcessor(deps: IssueDeps) {
  // Bindings are read per job but change rarely (an instructor's edit): shared for a few seconds.
  const bindingById = cachedReads(BINDING_CACHE_MS, (id: string) => CourseBinding.findById(id).exec());
  return async (job: Job<{ requestId: string }>): Promise<IssueOutcome> => {
    const { requestId } = job.data;
    const started = performance.now();
    // The job's attempt (1 to ISSUE_ATTEMPTS), as the lines of both outcomes give it.
    const attempt = job.attemptsMade + 1;
    const request = await claim(requestId, deps.claimTimeoutMs);
    if (!request) {
      const current = await IssuanceRequest.findById(requestId).exec();
      if (!current) return 'not-issuable';
      if (current.state === 'signing') throw new ClaimHeldError(requestId);
      if (current.state !== 'issued') return 'not-issuable';
      // Issued before its course had a gradebook column: the score goes there now (the column's backfill).
      if (current.writeBack === 'none' && deps.writeBack) {
        // Read afresh, not from the few-seconds cache: the column was just added.
        const binding = await CourseBinding.findById(current.bindingId).exec();
        if (binding?.writeBackLineItemUrl) await reportToLms(deps, binding, current);
      }
      return 'already-issued';
    }

    try {
      const binding = await bindingById(request.bindingId);
      if (!binding) throw new PermanentIssueError('the course binding was deleted');
      await deps.credentials.issue(request, binding);
      // Without SMTP or an address there is nothing to send: say so now instead of queueing a job for it.
      const notification = !deps.mailEnabled
        ? 'disabled'
        : learnerAddress(request.learner?.email)
          ? 'pending'
          : 'no-address';
      const issued = await IssuanceRequest.updateOne(
        { _id: requestId, state: 'signing' },
        { $set: { state: 'issued', issuedAt: new Date(), lastError: '', notification } },
      );
      if (issued.modifiedCount === 0) return 'already-issued';
      credentialsIssued.inc();
      issueSeconds.observe({ outcome: 'issued' }, secondsSince(started));
      // One line per credential signed, for operators: ids only, never the learner's name or address.
      deps.logger.info(
        {
          requestId,
          bindingId: request.bindingId,
          templateKey: binding.templateId,
          templateVersion: binding.templateVersion,
          issuerId: binding.issuerId,
          attempt,
          durationMs: Math.round(performance.now() - started),
        },
        'credential issued',
      );
      if (deps.writeBack && binding.writeBackLineItemUrl) {
        await reportToLms(deps, binding, request);
      }
      if (notification === 'pending') await enqueueNotify(deps.queues, requestId);
      return 'issued';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const lastAttempt =
        err instanceof PermanentIssueError ||
        (!isDatabaseUnavailable(err) && attempt >= (job.opts.attempts ?? 1));
      // Only while this attempt still holds its claim: an attempt that outlived the claim timeout must not
      // mark failed (or re-queue) a request that a newer attempt has claimed and may already have issued.
      await IssuanceRequest.updateOne(
        { _id: requestId, state: 'signing', claimedAt: request.claimedAt },
        { $set: { state: lastAttempt ? 'failed' : 'queued', lastError: message } },
      );
      issueSeconds.observe({ outcome: lastAttempt ? 'failed' : 'retried' }, secondsSince(started));
      deps.logger.warn(
        {
          requestId,
          bindingId: request.bindingId,
          attempt,
          lastAttempt,
          durationMs: Math.round(performance.now() - started),
          err: message,
        },
        'issuance attempt failed',
      );
      // BullMQ retries anything but an UnrecoverableError, with exponential backoff.
      throw err instanceof PermanentIssueError ? new UnrecoverableError(message) : err;
    }
  };
}

/** A failure that retrying cannot fix; the request fails at once with this reason. */
export class PermanentIssueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentIssueError';
  }
}

/**
 * Score and "credential issued" comment on the course's line item. Only for gradable learners (Moodle
 * refuses scores for others); a failure here never undoes the credential, it is recorded for the instructor.
 */
async function reportToLms(
  deps: IssueDeps,
  binding: Parameters<GradeWriteBack['report']>[0],
  request: IssuanceRequestDoc,
) {
  if (!request.learner?.gradable) {
    await IssuanceRequest.updateOne({ _id: request._id }, { $set: { writeBack: 'skipped' } });
    return;
  }
  try {
    await deps.writeBack!.report(binding, request, deps.credentialUrl(String(request._id)));
    await IssuanceRequest.updateOne({ _id: request._id }, { $set: { writeBack: 'done' } });
  } catch (err) {
    deps.logger.warn({ requestId: request._id, err: (err as Error).message }, 'grade write-back failed');
    await IssuanceRequest.updateOne({ _id: request._id }, { $set: { writeBack: 'failed' } });
  }
}
