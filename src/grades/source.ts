import type { LearnerEvidence } from '../courses/rules.js';

/** A person in the course roster, as the grade source sees them. `id` is the LTI `sub` of the platform. */
export interface RosterLearner {
  id: string;
  name: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  locale?: string;
  /** Whether the LMS accepts grades for this person (Moodle answers 400 for others). */
  gradable: boolean;
}

/** Something an instructor can map a learning outcome to. */
export interface EvidenceOption {
  kind: 'assessment' | 'activityCompletion' | 'competency' | 'courseCompletion';
  id: string;
  name: string;
  max?: number;
  passMark?: number;
}

/**
 * A consistent reading of one course: the roster, what can be mapped, and each learner's evidence.
 * `complete` is false when any part could not be read (a page failed, a capability is missing):
 * grade sync then records the problems and issues nothing, since partial data could look like a fail
 * or, worse, a pass.
 */
export interface CourseSnapshot {
  learners: RosterLearner[];
  options: EvidenceOption[];
  evidence: Map<string, LearnerEvidence>;
  complete: boolean;
  problems: string[];
  /** What the instructor should know that does not stop issuing (the roster and the grades differ, say). */
  notes?: string[];
}

/**
 * Where a course's grades come from: the LTI services (AGS + NRPS), the instructor (manual awards and
 * CSV imports), or an LMS's own API (Moodle Web Services, Canvas REST).
 */
export interface GradeSource {
  readonly kind: string;
  /** Reads roster, evidence options and every learner's evidence in one go. */
  snapshot(): Promise<CourseSnapshot>;
}

export function emptyEvidence(): LearnerEvidence {
  return { scores: {}, activities: {}, competencies: {} };
}

/**
 * Evidence as stored with a request: ids become values, since MongoDB field names may not hold the dots and
 * dollar signs that LMS ids (AGS line item URLs) carry.
 */
export function evidenceForStorage(e: LearnerEvidence) {
  return {
    scores: Object.entries(e.scores).map(([id, s]) => ({ id, ...s })),
    activities: Object.entries(e.activities).map(([id, state]) => ({ id, state })),
    competencies: Object.entries(e.competencies).map(([id, proficient]) => ({ id, proficient })),
    ...(e.courseCompleted !== undefined ? { courseCompleted: e.courseCompleted } : {}),
    ...(e.courseTotalPercent !== undefined ? { courseTotalPercent: e.courseTotalPercent } : {}),
  };
}

/** A stable fingerprint of a learner's evidence, so a re-sync can skip learners whose grades did not change. */
export function evidenceFingerprint(e: LearnerEvidence): string {
  return JSON.stringify(e, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : value,
  );
}
