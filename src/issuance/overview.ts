import { dashboardRead } from '../db/connection.js';
import { Institution } from '../institutions/institution-model.js';
import { LtiPlatform } from '../lti/models.js';
import { IssuanceRequest, REQUEST_STATES, type RequestState } from './request-model.js';

export interface IssuanceCounts {
  byState: Record<RequestState, number>;
  /** Requests whose credential was signed in the last hour and the last 24 hours, whatever their state now. */
  issuedLastHour: number;
  issuedLastDay: number;
}

export interface IssuanceOverview {
  installation: IssuanceCounts;
  institutions: { id: string; name: string; counts: IssuanceCounts }[];
}

const HOUR_MS = 3_600_000;

function emptyCounts(): IssuanceCounts {
  const byState = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>;
  return { byState, issuedLastHour: 0, issuedLastDay: 0 };
}

/** Requests issued since `since`, per platform. */
function issuedSince(since: Date) {
  return IssuanceRequest.aggregate<{ _id: string; n: number }>([
    { $match: { issuedAt: { $gte: since } } },
    { $group: { _id: '$platformId', n: { $sum: 1 } } },
  ]).read(dashboardRead());
}

/**
 * Issuance as MongoDB has it (BullMQ forgets finished jobs on purpose): requests by state and recent issues,
 * for the installation and per institution (a request carries its platform; a platform its institution).
 * Three aggregations whatever the number of institutions: by state and platform (the `$in` of every state
 * lets MongoDB use the `{state, platformId}` index, which holds both fields the grouping reads, instead of
 * scanning the collection), and issued in the last hour and day (the `issuedAt` index: only those requests).
 * The counts read where DB_DASHBOARD_READ_PREFERENCE says (a secondary may be seconds behind).
 */
export async function issuanceOverview(now = new Date()): Promise<IssuanceOverview> {
  const [byState, lastHour, lastDay, platforms, institutions] = await Promise.all([
    IssuanceRequest.aggregate<{ _id: { platformId: string; state: RequestState }; n: number }>([
      { $match: { state: { $in: [...REQUEST_STATES] } } },
      { $group: { _id: { platformId: '$platformId', state: '$state' }, n: { $sum: 1 } } },
    ]).read(dashboardRead()),
    issuedSince(new Date(now.getTime() - HOUR_MS)),
    issuedSince(new Date(now.getTime() - 24 * HOUR_MS)),
    LtiPlatform.find({}, { institutionId: 1 }).lean(),
    Institution.find({}, { name: 1 }).sort({ _id: 1 }).lean(),
  ]);
  const institutionOf = new Map(platforms.map((p) => [String(p._id), p.institutionId]));
  const installation = emptyCounts();
  const perInstitution = new Map(institutions.map((i) => [i._id, emptyCounts()]));
  // Each count goes to the installation and, when its platform is known, to that platform's institution.
  const add = (platformId: string, apply: (c: IssuanceCounts) => void) => {
    apply(installation);
    const institution = perInstitution.get(institutionOf.get(platformId) ?? '');
    if (institution) apply(institution);
  };
  for (const { _id, n } of byState) add(_id.platformId, (c) => (c.byState[_id.state] += n));
  for (const { _id, n } of lastHour) add(_id, (c) => (c.issuedLastHour += n));
  for (const { _id, n } of lastDay) add(_id, (c) => (c.issuedLastDay += n));
  return {
    installation,
    institutions: institutions.map((i) => ({ id: i._id, name: i.name, counts: perInstitution.get(i._id)! })),
  };
}
