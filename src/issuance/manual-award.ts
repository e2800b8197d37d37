import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CourseBindingDoc } from '../courses/binding-model.js';
import { recordAudit } from '../db/models/audit-event.js';
import { emailAddress } from '../notifications/address.js';
import type { Queues } from '../queue/queues.js';
import { enqueueIssue } from './queueing.js';
import { IssuanceRequest } from './request-model.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';

export const awardSchema = z.strictObject({
  learnerId: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(300),
  email: emailAddress.optional(),
  locale: z.string().max(20).optional(),
  reason: z.string().trim().min(5, 'give a reason of at least 5 characters').max(1000),
});
export type AwardInput = z.infer<typeof awardSchema>;

/**
 * An instructor's award without the rule (recognised prior learning, a grade kept outside the LMS): it goes
 * through the same request, so it is still issued once, signed and audited with its reason.
 * Returns undefined when the learner already has a request for this binding.
 */
export async function awardManually(
  binding: CourseBindingDoc,
  award: AwardInput,
  by: string,
  retentionDays: number,
  queues: Queues,
): Promise<string | undefined> {
  const id = randomUUID();
  try {
    await IssuanceRequest.create({
      _id: id,
      bindingId: String(binding._id),
      platformId: binding.platformId,
      deploymentId: binding.deploymentId,
      contextId: binding.contextId,
      learnerId: award.learnerId,
      learner: { name: award.name, email: award.email, locale: award.locale, gradable: true },
      evidence: { manualAward: { reason: award.reason, by } },
      state: 'queued',
    });
  } catch (err) {
    if (onlyDuplicateKeys(err)) return undefined;
    throw err;
  }
  await recordAudit(
    {
      actor: { kind: 'instructor', id: by },
      action: 'credential.award',
      target: { kind: 'issuance-request', id },
      details: { bindingId: String(binding._id), reason: award.reason },
    },
    retentionDays,
  );
  await enqueueIssue(queues, [id]);
  return id;
}
