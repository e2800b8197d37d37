import { createHash } from 'node:crypto';
import { IssuanceRequest, SupersededRequest } from './request-model.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';

/**
 * The id of the credential that replaces a revoked one: derived from the old id, so repeating a re-issue
 * (a double click, a retry after a crash) names the same request and never creates a second credential.
 */
export function reissueId(oldId: string): string {
  const h = createHash('sha256').update(`reissue:${oldId}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Replaces a revoked request with a new queued one for the same learner: the old request moves to the
 * history collection under its own id (its credential stays revoked), the new one takes its place as the
 * (binding, learner) request. Each step is idempotent, so a re-issue interrupted half-way completes when
 * repeated. Returns the new request id, or null when the request is neither revoked nor half-way re-issued.
 */
export async function reissueRevoked(
  bindingId: string,
  requestId: string,
  reason: string,
): Promise<string | null> {
  const newId = reissueId(requestId);
  const active = await IssuanceRequest.findOne({ _id: requestId, bindingId }).lean();
  if (active) {
    if (active.state !== 'revoked') return null;
    const { _id, ...rest } = active;
    await SupersededRequest.updateOne(
      { _id },
      { $setOnInsert: { ...rest, supersededBy: newId, supersededAt: new Date(), reissueReason: reason } },
      // The copy keeps the old request's own timestamps.
      { upsert: true, timestamps: false },
    );
    await IssuanceRequest.deleteOne({ _id: requestId, state: 'revoked' });
  }
  const old = await SupersededRequest.findOne({ _id: requestId, bindingId, supersededBy: newId }).lean();
  if (!old) return null;
  try {
    await IssuanceRequest.create({
      _id: newId,
      bindingId: old.bindingId,
      platformId: old.platformId,
      deploymentId: old.deploymentId,
      contextId: old.contextId,
      learnerId: old.learnerId,
      learner: old.learner,
      evidence: old.evidence,
      state: 'queued',
    });
  } catch (err) {
    // Already created by an earlier attempt: the unique (binding, learner) index keeps it to one.
    if (!onlyDuplicateKeys(err)) throw err;
  }
  return newId;
}

/**
 * The requests re-issues replaced for some learners of a binding (one page of the issuance list), oldest
 * replacement first and at most `limit`: each is its learner's earlier credential, revoked, with the id of
 * the request that replaced it. They are history, not issuance work, so progress does not count them.
 */
export async function supersededFor(bindingId: string, learnerIds: string[], limit: number) {
  if (!learnerIds.length) return [];
  return SupersededRequest.find({ bindingId, learnerId: { $in: learnerIds } })
    .sort({ supersededAt: 1 })
    .limit(limit)
    .lean();
}
