import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CourseBindingDoc } from '../courses/binding-model.js';
import { recordAudit } from '../db/models/audit-event.js';
import { awardsNeedApproval } from '../institutions/institutions.js';
import { learnerAddress } from '../notifications/address.js';
import type { Queues } from '../queue/queues.js';
import { enqueueIssue } from './queueing.js';
import { GradeSnapshot, IssuanceRequest, snapshotId, type RequestState } from './request-model.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';

/** An award names a learner of the roster and says why; who the learner is comes from the roster, not the form. */
export const awardSchema = z.strictObject({
  learnerId: z.string().trim().min(1).max(200),
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(1000),
});
export type AwardInput = z.infer<typeof awardSchema>;

export class AwardRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwardRefusedError';
  }
}

export interface AwardActor {
  /** The LMS user id of the instructor (the session's `sub`). */
  id: string;
  name: string;
}

/**
 * An instructor's award without the rule (recognised prior learning, a grade kept outside the LMS): only to a
 * learner the course's roster knows (as the last grade sync read it), under the roster's name, through the
 * same request, so it is still issued once, signed and audited with who awarded it and why. Where the
 * institution requires it, the request waits for an administrator's approval before anything is signed.
 */
export async function awardManually(
  binding: CourseBindingDoc,
  award: AwardInput,
  by: AwardActor,
  retentionDays: number,
  queues: Queues,
): Promise<{ requestId: string; state: RequestState }> {
  const bindingId = String(binding._id);
  const known = await GradeSnapshot.findById(snapshotId(bindingId, award.learnerId), { learner: 1 }).lean();
  if (!known?.learner?.name) {
    throw new AwardRefusedError(
      400,
      'not_in_roster',
      `learnerId: "${award.learnerId}" is not in this course's roster as last read from the LMS; sync the course and try again`,
    );
  }
  const state: RequestState = (await awardsNeedApproval(binding.institutionId))
    ? 'awaiting-approval'
    : 'queued';
  const learner = known.learner;
  const id = randomUUID();
  try {
    await IssuanceRequest.create({
      _id: id,
      bindingId,
      platformId: binding.platformId,
      deploymentId: binding.deploymentId,
      contextId: binding.contextId,
      learnerId: award.learnerId,
      learner: {
        name: learner.name,
        givenName: learner.givenName ?? undefined,
        familyName: learner.familyName ?? undefined,
        email: learnerAddress(learner.email),
        locale: learner.locale ?? undefined,
        gradable: learner.gradable ?? true,
      },
      evidence: { manualAward: { reason: award.reason, by: by.id, byName: by.name } },
      state,
    });
  } catch (err) {
    if (onlyDuplicateKeys(err))
      throw new AwardRefusedError(
        409,
        'already_requested',
        'This learner already has this credential or a request for it.',
      );
    throw err;
  }
  await recordAudit(
    {
      actor: { kind: 'instructor', id: by.id },
      action: 'credential.award',
      target: { kind: 'issuance-request', id },
      institutionId: binding.institutionId,
      details: {
        bindingId,
        learnerId: award.learnerId,
        reason: award.reason,
        byName: by.name,
        awaitingApproval: state === 'awaiting-approval',
      },
    },
    retentionDays,
  );
  if (state === 'queued') await enqueueIssue(queues, [id]);
  return { requestId: id, state };
}
