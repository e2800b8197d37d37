import { recordAudit } from '../db/models/audit-event.js';
import { LtiPlatform } from '../lti/models.js';
import type { Queues } from '../queue/queues.js';
import { enqueueIssue } from './queueing.js';
import { IssuanceRequest } from './request-model.js';

export interface PendingAward {
  requestId: string;
  /** An instructor's award outside the rule, or the rule met on results imported by hand. */
  kind: 'award' | 'imported-results';
  bindingId: string;
  learnerId: string;
  learnerName: string;
  contextId: string;
  reason: string;
  awardedBy: string;
  awardedAt: Date;
}

async function institutionPlatformIds(institutionId: string): Promise<string[]> {
  const platforms = await LtiPlatform.find({ institutionId }, { _id: 1 }).lean();
  return platforms.map((p) => String(p._id));
}

/** Manual awards of the institution's courses that wait for an administrator, oldest first. */
export async function pendingAwards(institutionId: string): Promise<PendingAward[]> {
  const requests = await IssuanceRequest.find({
    state: 'awaiting-approval',
    platformId: { $in: await institutionPlatformIds(institutionId) },
  })
    .sort({ createdAt: 1 })
    .limit(500)
    .lean();
  return requests.map((r) => {
    const award = (r.evidence as { manualAward?: { reason?: string; by?: string; byName?: string } })
      .manualAward;
    return {
      requestId: String(r._id),
      kind: award ? ('award' as const) : ('imported-results' as const),
      bindingId: r.bindingId,
      learnerId: r.learnerId,
      learnerName: r.learner?.name ?? '',
      contextId: r.contextId,
      reason: award?.reason ?? '',
      awardedBy: award?.byName || award?.by || '',
      awardedAt: (r as { createdAt?: Date }).createdAt ?? new Date(0),
    };
  });
}

/** The filter of a request that waits for approval in one of the institution's courses. */
async function pendingFilter(institutionId: string, requestId: string) {
  return {
    _id: requestId,
    state: 'awaiting-approval' as const,
    platformId: { $in: await institutionPlatformIds(institutionId) },
  };
}

/** An award waiting for approval in one of the institution's courses, with who made it; another's is none. */
export async function findPendingAward(
  institutionId: string,
  requestId: string,
): Promise<{ platformId: string; by?: string } | undefined> {
  const request = await IssuanceRequest.findOne(await pendingFilter(institutionId, requestId), {
    platformId: 1,
    'evidence.manualAward.by': 1,
  }).lean<{ platformId: string; evidence?: { manualAward?: { by?: string } } }>();
  if (!request) return undefined;
  const by = request.evidence?.manualAward?.by;
  return { platformId: request.platformId, ...(by ? { by } : {}) };
}

/**
 * Whether the LMS user signed in to the console (an LMS sign-in) is the instructor who made the award: nobody
 * approves their own. A console account is not tied to an LMS user, so it cannot be told.
 */
export function isOwnAward(
  award: { platformId: string; by?: string },
  lmsUser: { platformId: string; userId: string } | undefined,
): boolean {
  return lmsUser !== undefined && lmsUser.platformId === award.platformId && lmsUser.userId === award.by;
}

/**
 * An administrator's decision on an award that waits: approved, it is queued for signing like any other;
 * refused, the request is removed (the learner may still earn the credential by the rule) and the refusal
 * with its reason stays in the audit log. Only awards of the administrator's own institution are found.
 */
export async function decideAward(options: {
  institutionId: string;
  requestId: string;
  approve: boolean;
  by: string;
  reason: string;
  queues: Queues;
  retentionDays: number;
}): Promise<boolean> {
  const filter = await pendingFilter(options.institutionId, options.requestId);
  const decided = options.approve
    ? await IssuanceRequest.findOneAndUpdate(
        filter,
        { $set: { state: 'queued', approval: { by: options.by, at: new Date() } } },
        { returnDocument: 'after' },
      ).lean()
    : await IssuanceRequest.findOneAndDelete(filter).lean();
  if (!decided) return false;
  await recordAudit(
    {
      actor: { kind: 'admin', id: options.by },
      institutionId: options.institutionId,
      action: options.approve ? 'credential.award-approved' : 'credential.award-refused',
      target: { kind: 'issuance-request', id: options.requestId },
      details: { bindingId: decided.bindingId, learnerId: decided.learnerId, reason: options.reason },
    },
    options.retentionDays,
  );
  if (options.approve) await enqueueIssue(options.queues, [options.requestId]);
  return true;
}
