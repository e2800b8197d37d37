import { dashboardRead } from '../db/connection.js';
import type { CourseBindingDoc } from '../courses/binding-model.js';
import { evaluateRule, ruleSchema } from '../courses/rules.js';
import { emptyEvidence, type GradeSource } from '../grades/source.js';
import { GradeSnapshot, IssuanceRequest, REQUEST_STATES, type RequestState } from './request-model.js';

export type Progress = Record<RequestState | 'waiting', number> & { learners: number; percentDone: number };

/**
 * Counts per binding for the dashboard: learners seen by the last sync who do not qualify yet (waiting),
 * and requests in each state, read where DB_DASHBOARD_READ_PREFERENCE says. `percentDone` is the share of requests in a final state, for the progress bar.
 */
export async function bindingProgress(bindingId: string): Promise<Progress> {
  const [byState, waiting, learners] = await Promise.all([
    IssuanceRequest.aggregate<{ _id: RequestState; n: number }>([
      { $match: { bindingId } },
      { $group: { _id: '$state', n: { $sum: 1 } } },
    ]).read(dashboardRead()),
    GradeSnapshot.countDocuments({ bindingId, qualified: false }).read(dashboardRead()),
    GradeSnapshot.countDocuments({ bindingId }).read(dashboardRead()),
  ]);
  const counts = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>;
  for (const { _id, n } of byState) counts[_id] = n;
  const requests = REQUEST_STATES.reduce((sum, s) => sum + counts[s], 0);
  const open = counts.queued + counts.signing;
  return {
    ...counts,
    waiting,
    learners,
    percentDone: requests === 0 ? 100 : Math.floor(((requests - open) / requests) * 100),
  };
}

export interface DryRunRow {
  learnerId: string;
  name: string;
  qualified: boolean;
  /** Why not: each outcome that is not met, in words. */
  missing: string[];
  /** The learner's request, if one exists already. */
  state?: RequestState;
}

/** Who would receive the credential now, and why not the others. Reads the source; writes nothing. */
export async function dryRun(binding: CourseBindingDoc, source: GradeSource) {
  const rule = ruleSchema.parse(binding.rule);
  const snapshot = await source.snapshot();
  const names = Object.fromEntries(snapshot.options.map((o) => [o.id, o.name]));
  const requests = await IssuanceRequest.find(
    { bindingId: String(binding._id) },
    { learnerId: 1, state: 1 },
  ).lean();
  const stateOf = new Map(requests.map((r) => [r.learnerId, r.state as RequestState]));
  const rows: DryRunRow[] = snapshot.learners.map((l) => {
    const result = evaluateRule(rule, snapshot.evidence.get(l.id) ?? emptyEvidence(), names);
    return {
      learnerId: l.id,
      name: l.name,
      qualified: result.qualified,
      missing: result.qualified ? [] : result.missing,
      state: stateOf.get(l.id),
    };
  });
  return { complete: snapshot.complete, problems: snapshot.problems, rows };
}
