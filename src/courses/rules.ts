import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A course rule: which evidence from the course proves each learning outcome of a template, and how
 * many outcomes must be proven. Outcomes are referred to by their position in the template's
 * `learningOutcomes`; bindings pin a published (immutable) template version, so positions never move.
 */

const threshold = z.discriminatedUnion('unit', [
  z.strictObject({ unit: z.literal('percent'), value: z.number().min(0).max(100) }),
  z.strictObject({ unit: z.literal('points'), value: z.number().min(0) }),
  /** The LMS's own pass mark for the item (Moodle's grade to pass, a quiz's gradetopass). */
  z.strictObject({ unit: z.literal('passMark') }),
]);

const id = z.string().trim().min(1).max(200);

export const evidenceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('assessment'), itemId: id, threshold }),
  z.strictObject({
    kind: z.literal('activityCompletion'),
    activityId: id,
    requirePass: z.boolean().default(true),
  }),
  z.strictObject({ kind: z.literal('competency'), competencyId: id }),
  z.strictObject({ kind: z.literal('courseCompletion') }),
]);

export const outcomeMappingSchema = z.strictObject({
  outcome: z.number().int().min(0),
  /** Every piece of evidence must hold (`all`), or any one of them (`any`). */
  combine: z.enum(['all', 'any']).default('all'),
  evidence: z.array(evidenceSchema).min(1, 'map at least one piece of evidence').max(20),
});

export const ruleSchema = z
  .strictObject({
    outcomes: z.array(outcomeMappingSchema).min(1, 'map at least one learning outcome').max(50),
    require: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('all') }),
        z.strictObject({ mode: z.literal('atLeast'), count: z.number().int().min(1) }),
      ])
      .default({ mode: 'all' }),
    minCourseTotalPercent: z.number().min(0).max(100).optional(),
  })
  .superRefine((rule, ctx) => {
    const seen = new Set<number>();
    rule.outcomes.forEach((o, i) => {
      if (seen.has(o.outcome)) {
        ctx.addIssue({
          code: 'custom',
          path: ['outcomes', i, 'outcome'],
          message: `outcome ${o.outcome} is mapped twice`,
        });
      }
      seen.add(o.outcome);
    });
    if (rule.require.mode === 'atLeast' && rule.require.count > rule.outcomes.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['require', 'count'],
        message: `requires ${rule.require.count} outcomes but only ${rule.outcomes.length} are mapped`,
      });
    }
  });

export type Evidence = z.infer<typeof evidenceSchema>;
export type Rule = z.infer<typeof ruleSchema>;

/** What the grade source knows about one learner. */
export interface LearnerEvidence {
  /** Grade items by id: raw score, maximum, and the LMS's pass mark where it has one. */
  scores: Record<string, { score: number; max: number; passMark?: number }>;
  activities: Record<string, 'incomplete' | 'complete' | 'passed' | 'failed'>;
  competencies: Record<string, boolean>;
  courseCompleted?: boolean;
  courseTotalPercent?: number;
}

/**
 * One thing a learner lacks, as data: the sync keeps it with a request a regrade acted on, so each reader
 * sees it in their own language (src/ui/reasons.ts); `shortfallText` says it in English for the dry run.
 */
export type Shortfall =
  | { kind: 'noGrade'; item: string }
  | { kind: 'percent'; item: string; percent: number; needed: number }
  | { kind: 'points'; item: string; points: number; needed: number }
  | { kind: 'passMark'; item: string; points: number; passMark: number }
  | { kind: 'noPassMark'; item: string }
  | { kind: 'notCompleted'; item: string; withPass: boolean }
  | { kind: 'failed'; item: string }
  | { kind: 'notProficient'; item: string }
  | { kind: 'courseNotCompleted' }
  | { kind: 'courseTotal'; percent?: number; needed: number };

/**
 * What the rule saw of one piece of evidence, met or not, with its numbers: the learner's progress shows each
 * ("Quiz 1: 80%, 50% needed", "Quiz 2: 45%, 50% needed"). A shortfall when not met; when met, the same numbers
 * or what was done.
 */
export type Observation =
  | Shortfall
  | { kind: 'completed'; item: string; withPass: boolean }
  | { kind: 'proficient'; item: string }
  | { kind: 'courseCompleted' };

export interface EvidenceCheck {
  met: boolean;
  seen: Observation;
}

export interface OutcomeResult {
  outcome: number;
  met: boolean;
  /** Why not, in words an instructor reads ("Quiz 1: 4 of 10 points, needs 50%"). */
  reasons: string[];
  shortfalls: Shortfall[];
  /** Each piece of evidence the outcome is mapped to, in the rule's order. */
  checks: EvidenceCheck[];
}

export interface RuleResult {
  qualified: boolean;
  outcomes: OutcomeResult[];
  /** Outcomes not met, and a course-total shortfall, for the dry run. */
  missing: string[];
  /** The same as data: what each unmet outcome lacks, then the course total. */
  shortfalls: Shortfall[];
  /** The course total against the rule's minimum, when the rule has one. */
  courseTotal?: { percent?: number; needed: number; met: boolean };
}

function checkEvidence(e: Evidence, learner: LearnerEvidence, names: Record<string, string>): EvidenceCheck {
  switch (e.kind) {
    case 'assessment': {
      const item = names[e.itemId] ?? e.itemId;
      const s = learner.scores[e.itemId];
      if (!s) return { met: false, seen: { kind: 'noGrade', item } };
      if (e.threshold.unit === 'percent') {
        const percent = s.max > 0 ? (s.score / s.max) * 100 : 0;
        const seen = { kind: 'percent', item, percent: round(percent), needed: e.threshold.value } as const;
        return { met: percent + 1e-9 >= e.threshold.value, seen };
      }
      if (e.threshold.unit === 'points') {
        const seen = { kind: 'points', item, points: s.score, needed: e.threshold.value } as const;
        return { met: s.score >= e.threshold.value, seen };
      }
      if (s.passMark === undefined) return { met: false, seen: { kind: 'noPassMark', item } };
      return {
        met: s.score >= s.passMark,
        seen: { kind: 'passMark', item, points: s.score, passMark: s.passMark },
      };
    }
    case 'activityCompletion': {
      const item = names[e.activityId] ?? e.activityId;
      const state = learner.activities[e.activityId] ?? 'incomplete';
      if (state === 'passed' || (!e.requirePass && state === 'complete'))
        return { met: true, seen: { kind: 'completed', item, withPass: state === 'passed' } };
      return {
        met: false,
        seen:
          state === 'failed'
            ? { kind: 'failed', item }
            : { kind: 'notCompleted', item, withPass: e.requirePass },
      };
    }
    case 'competency': {
      const item = names[e.competencyId] ?? e.competencyId;
      return learner.competencies[e.competencyId]
        ? { met: true, seen: { kind: 'proficient', item } }
        : { met: false, seen: { kind: 'notProficient', item } };
    }
    case 'courseCompletion':
      return learner.courseCompleted
        ? { met: true, seen: { kind: 'courseCompleted' } }
        : { met: false, seen: { kind: 'courseNotCompleted' } };
  }
}

/** A shortfall in the English the dry run and the stored flag use. */
export function shortfallText(s: Shortfall): string {
  switch (s.kind) {
    case 'noGrade':
      return `${s.item}: no grade yet`;
    case 'percent':
      return `${s.item}: ${s.percent}%, needs ${s.needed}%`;
    case 'points':
      return `${s.item}: ${s.points} points, needs ${s.needed}`;
    case 'passMark':
      return `${s.item}: ${s.points} points, pass mark ${s.passMark}`;
    case 'noPassMark':
      return `${s.item}: the LMS has no pass mark for this item`;
    case 'notCompleted':
      return `${s.item}: not completed${s.withPass ? ' with a pass' : ''}`;
    case 'failed':
      return `${s.item}: completed without a pass`;
    case 'notProficient':
      return `${s.item}: not proficient`;
    case 'courseNotCompleted':
      return 'course not completed';
    case 'courseTotal':
      return `course total: ${s.percent === undefined ? 'no grade yet' : `${s.percent}%`}, needs ${s.needed}%`;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Evaluates `rule` for one learner. Pure and allocation-light: grade sync runs it for every learner of
 * every enabled binding. `names` maps evidence ids to the names instructors know them by.
 */
export function evaluateRule(
  rule: Rule,
  learner: LearnerEvidence,
  names: Record<string, string> = {},
): RuleResult {
  const outcomes: OutcomeResult[] = [];
  let metCount = 0;
  for (const mapping of rule.outcomes) {
    const shortfalls: Shortfall[] = [];
    const checks: EvidenceCheck[] = [];
    let anyMet = false;
    for (const e of mapping.evidence) {
      const check = checkEvidence(e, learner, names);
      checks.push(check);
      if (check.met) anyMet = true;
      else shortfalls.push(check.seen as Shortfall);
    }
    const met = mapping.combine === 'all' ? shortfalls.length === 0 : anyMet;
    if (met) metCount++;
    outcomes.push({
      outcome: mapping.outcome,
      met,
      reasons: met ? [] : shortfalls.map(shortfallText),
      shortfalls: met ? [] : shortfalls,
      checks,
    });
  }
  const unmet = outcomes.filter((o) => !o.met);
  const missing = unmet.map((o) => `outcome ${o.outcome + 1}: ${o.reasons.join('; ')}`);
  const shortfalls = unmet.flatMap((o) => o.shortfalls);
  const needed = rule.require.mode === 'all' ? rule.outcomes.length : rule.require.count;
  let qualified = metCount >= needed;
  let courseTotal: RuleResult['courseTotal'];
  if (rule.minCourseTotalPercent !== undefined) {
    const total = learner.courseTotalPercent;
    const met = total !== undefined && total + 1e-9 >= rule.minCourseTotalPercent;
    courseTotal = {
      ...(total === undefined ? {} : { percent: round(total) }),
      needed: rule.minCourseTotalPercent,
      met,
    };
    if (!met) {
      qualified = false;
      const shortfall: Shortfall = {
        kind: 'courseTotal',
        ...(total === undefined ? {} : { percent: round(total) }),
        needed: rule.minCourseTotalPercent,
      };
      missing.push(shortfallText(shortfall));
      shortfalls.push(shortfall);
    }
  }
  return { qualified, outcomes, missing, shortfalls, ...(courseTotal ? { courseTotal } : {}) };
}

/** Checks a rule against the template it is for; problems name the field (`outcomes[2].outcome`). */
export function ruleProblems(rule: Rule, outcomeCount: number): string[] {
  return rule.outcomes.flatMap((o, i) =>
    o.outcome < outcomeCount
      ? []
      : [
          `outcomes[${i}].outcome: the template has ${outcomeCount} learning outcomes (0 to ${outcomeCount - 1})`,
        ],
  );
}

/** What a grade snapshot keeps of a result for the learner's progress: each outcome's checks, the course total. */
export interface LearnerProgressRecord {
  outcomes: { outcome: number; met: boolean; checks: EvidenceCheck[] }[];
  courseTotal?: RuleResult['courseTotal'];
}

export function progressRecord(result: RuleResult): LearnerProgressRecord {
  return {
    outcomes: result.outcomes.map((o) => ({ outcome: o.outcome, met: o.met, checks: o.checks })),
    ...(result.courseTotal ? { courseTotal: result.courseTotal } : {}),
  };
}

/** Which rule a grade snapshot was evaluated under: after an edit of the mapping every learner is evaluated again. */
export function ruleHash(rule: Rule): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('base64url').slice(0, 16);
}
