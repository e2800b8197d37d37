import type { Rule } from '../courses/rules.js';

/** The evidence ids a rule refers to, so a source can check each one is visible and read only what is needed. */
export interface MappedEvidence {
  items: Set<string>;
  activities: Set<string>;
  competencies: Set<string>;
  courseCompletion: boolean;
}

export function noMappedEvidence(): MappedEvidence {
  return { items: new Set(), activities: new Set(), competencies: new Set(), courseCompletion: false };
}

export function mappedEvidence(rule: Rule | undefined): MappedEvidence {
  const mapped = noMappedEvidence();
  for (const outcome of rule?.outcomes ?? []) {
    for (const e of outcome.evidence) {
      if (e.kind === 'assessment') mapped.items.add(e.itemId);
      else if (e.kind === 'activityCompletion') mapped.activities.add(e.activityId);
      else if (e.kind === 'competency') mapped.competencies.add(e.competencyId);
      else mapped.courseCompletion = true;
    }
  }
  return mapped;
}

/** Runs `fn` over `items`, at most `limit` at once (the HTTP clients limit the calls in flight as well). */
export async function forEachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/** One check of a "test connection" run, in words an LMS admin reads. */
export interface ConnectionCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ConnectionReport {
  ok: boolean;
  checks: ConnectionCheck[];
  /** Capabilities (Moodle) or permissions (Canvas) the token's user lacks, as the admin grants them. */
  missing: string[];
}
