import { IssuanceRequest, SupersededRequest } from './request-model.js';

export interface RegradeStatus {
  state: string;
  statusReason?: string | null;
  flagged?: string | null;
  shortfalls?: unknown[] | null;
}

/**
 * Which of some credentials a regrade suspended or revoked (a credential's id is its request's), with what
 * the learner lacked: current requests and those a re-issue replaced, whose revoked credentials stay listed.
 */
export async function regradeStatuses(credentialIds: string[]): Promise<Map<string, RegradeStatus>> {
  if (!credentialIds.length) return new Map();
  const filter = { _id: { $in: credentialIds }, statusReason: 'regrade' };
  const fields = { state: 1, statusReason: 1, flagged: 1, shortfalls: 1 };
  const [current, replaced] = await Promise.all([
    IssuanceRequest.find(filter, fields).lean(),
    SupersededRequest.find(filter, fields).lean(),
  ]);
  return new Map([...current, ...replaced].map((r) => [String(r._id), r as RegradeStatus]));
}
