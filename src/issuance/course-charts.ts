import { dashboardRead } from '../db/connection.js';
import { ruleHash, type LearnerProgressRecord, type Rule } from '../courses/rules.js';
import { GradeSnapshot, IssuanceRequest } from './request-model.js';

/**
 * The numbers behind a course's charts, from what the last grade sync stored per learner and when each credential
 * was signed: how many learners show each outcome, how far each assessment's grades sit from its threshold, and
 * issuance over time. Read where DB_DASHBOARD_READ_PREFERENCE says.
 */
export interface CourseCharts {
  /** Learners the last sync read whose progress is kept. */
  learners: number;
  /** Per mapped outcome, in the rule's order: learners who show it. */
  outcomes: { outcome: number; met: number }[];
  /** Per assessment with a percent threshold: learners per tenth of the scale (0–9%, …, 90–100%), and without a grade. */
  distance: { item: string; needed: number; bins: number[]; noGrade: number }[];
  /** Credentials signed per period, oldest first: at most `MAX_PERIODS` periods of `days` days each, ending today. */
  issued: { from: Date; days: number; count: number }[];
}

export const MAX_PERIODS = 30;
const DAY_MS = 86_400_000;

export async function courseCharts(bindingId: string, rule: Rule, now = new Date()): Promise<CourseCharts> {
  const [snapshots, issuedAt] = await Promise.all([
    // Only snapshots evaluated under the rule as it is: their checks line up with its evidence.
    GradeSnapshot.find({ bindingId, ruleHash: ruleHash(rule) }, { progress: 1 })
      .read(dashboardRead())
      .lean(),
    IssuanceRequest.find({ bindingId, issuedAt: { $gte: new Date(0) } }, { issuedAt: 1 })
      .read(dashboardRead())
      .lean(),
  ]);
  const outcomes = rule.outcomes.map((m) => ({ outcome: m.outcome, met: 0 }));
  // One row per assessment with a percent threshold, in the rule's order (the same item under two outcomes
  // with one threshold is one row).
  const rows = new Map<string, CourseCharts['distance'][number]>();
  const rowAt = rule.outcomes.map((m) =>
    m.evidence.map((e) => {
      if (e.kind !== 'assessment' || e.threshold.unit !== 'percent') return undefined;
      const key = `${e.itemId}\u0000${e.threshold.value}`;
      if (!rows.has(key))
        rows.set(key, { item: e.itemId, needed: e.threshold.value, bins: Array(10).fill(0), noGrade: 0 });
      return rows.get(key)!;
    }),
  );
  let learners = 0;
  for (const s of snapshots) {
    const progress = s.progress as LearnerProgressRecord | undefined;
    if (!progress) continue;
    learners++;
    // An assessment that proves two outcomes is one row: each learner counts there once.
    const counted = new Set<CourseCharts['distance'][number]>();
    progress.outcomes.forEach((o, i) => {
      if (o.met && outcomes[i]) outcomes[i].met++;
      o.checks.forEach(({ seen }, j) => {
        const row = rowAt[i]?.[j];
        if (!row || counted.has(row)) return;
        counted.add(row);
        row.item = 'item' in seen ? seen.item : row.item; // the name the LMS gives it
        if (seen.kind === 'percent') row.bins[Math.min(9, Math.max(0, Math.floor(seen.percent / 10)))]!++;
        else row.noGrade++;
      });
    });
  }

  const dates = issuedAt.map((r) => r.issuedAt!.getTime()).sort((a, b) => a - b);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const issued: CourseCharts['issued'] = [];
  if (dates.length) {
    const first = Math.floor(dates[0]! / DAY_MS) * DAY_MS;
    // A week at least, so a first day of issuance is a bar among days, not the whole chart.
    const span = Math.max(7, Math.floor((today - first) / DAY_MS) + 1);
    const days = Math.max(1, Math.ceil(span / MAX_PERIODS));
    const start = today + DAY_MS - Math.ceil(span / days) * days * DAY_MS;
    for (let from = start; from <= today; from += days * DAY_MS)
      issued.push({ from: new Date(from), days, count: 0 });
    for (const d of dates)
      issued[Math.min(issued.length - 1, Math.floor((d - start) / (days * DAY_MS)))]!.count++;
  }
  return { learners, outcomes, distance: [...rows.values()], issued };
}
