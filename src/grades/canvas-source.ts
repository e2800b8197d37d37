import type { LearnerEvidence } from '../courses/rules.js';
import { CanvasApiError, type CanvasClient } from './canvas-client.js';
import {
  forEachLimited,
  noMappedEvidence,
  type ConnectionCheck,
  type ConnectionReport,
  type MappedEvidence,
} from './mapped.js';
import {
  emptyEvidence,
  type CourseSnapshot,
  type EvidenceOption,
  type GradeSource,
  type RosterLearner,
} from './source.js';

/**
 * Grades through the Canvas REST API: student enrollments with their scores, assignments and submissions,
 * assignment groups, outcome rollups (Canvas outcomes are the course's competencies) and module completion.
 * Learners are known to the tool by their LTI `sub`; Canvas REST knows them by user id, mapped through the
 * `canvas_user_id` custom field each launch records (src/grades/canvas-ids.ts).
 */

export const canvasIds = {
  assignment: (id: number | string) => `assignment:${id}`,
  module: (id: number | string) => `module:${id}`,
  outcome: (id: number | string) => `outcome:${id}`,
};

interface Enrollment {
  user_id: number;
  type: string;
  enrollment_state: string;
  grades?: { current_score?: number | null; final_score?: number | null };
  user?: { id: number; name?: string; sortable_name?: string; short_name?: string };
}
interface CanvasUser {
  id: number;
  name: string;
  sortable_name?: string;
  email?: string;
  locale?: string | null;
}
interface Assignment {
  id: number;
  name: string;
  points_possible: number | null;
  grading_type: string;
  assignment_group_id: number;
  published?: boolean;
}
interface Submission {
  assignment_id: number;
  user_id: number;
  score: number | null;
  excused?: boolean;
  workflow_state: string;
}
interface Rollups {
  rollups: { scores: { score: number | null; links: { outcome: string } }[]; links: { user: string } }[];
  linked?: { outcomes?: { id: number; title: string; mastery_points: number; points_possible: number }[] };
}
interface CanvasModule {
  id: number;
  name: string;
  state?: 'locked' | 'unlocked' | 'started' | 'completed';
}

export interface CanvasSourceOptions {
  /** Canvas REST course id (the `canvas_course_id` custom field), not the LTI context id. */
  courseId: string;
  /** Canvas REST user ids -> LTI `sub`. */
  resolveSubs: (canvasUserIds: string[]) => Promise<Map<string, string>>;
  mapped?: MappedEvidence;
}

interface CourseView {
  students: { canvasId: string; learner: RosterLearner; totalPercent?: number }[];
  unlinked: number;
  assignments: Assignment[];
  groups: Map<number, string>;
  outcomes: { id: number; title: string; mastery_points: number; points_possible: number }[];
  modules: CanvasModule[];
  problems: Set<string>;
}

export class CanvasGradeSource implements GradeSource {
  readonly kind = 'canvas';
  private readonly mapped: MappedEvidence;
  private readonly base: string;
  /** Students left out of the last snapshot because they have not launched the tool yet. */
  lastUnlinked = 0;

  constructor(
    private readonly client: CanvasClient,
    private readonly settings: CanvasSourceOptions,
  ) {
    if (!/^\d+$/.test(settings.courseId)) throw new Error(`not a Canvas course id: ${settings.courseId}`);
    this.base = `/courses/${settings.courseId}`;
    this.mapped = settings.mapped ?? noMappedEvidence();
  }

  async options(): Promise<{ options: EvidenceOption[]; problems: string[] }> {
    const view = await this.readCourse();
    return { options: this.optionsOf(view), problems: [...view.problems] };
  }

  async snapshot(): Promise<CourseSnapshot> {
    const view = await this.readCourse();
    const { problems } = view;
    this.lastUnlinked = view.unlinked;
    const evidence = new Map<string, LearnerEvidence>();
    const byCanvasId = new Map<string, LearnerEvidence>();
    for (const s of view.students) {
      const e = emptyEvidence();
      if (s.totalPercent !== undefined) e.courseTotalPercent = s.totalPercent;
      evidence.set(s.learner.id, e);
      byCanvasId.set(s.canvasId, e);
    }
    const points = new Map(view.assignments.map((a) => [a.id, a]));

    const [submissions, rollups] = await Promise.all([
      this.client
        .getAll<Submission>(`${this.base}/students/submissions`, { 'student_ids[]': 'all' })
        .catch((err: unknown) => this.fail(problems, 'submissions', err)),
      this.client
        .getAll<Rollups>(`${this.base}/outcome_rollups`, {}, (page) => [page as Rollups])
        .catch((err: unknown) => this.fail(problems, 'outcome results', err)),
    ]);
    for (const sub of submissions ?? []) {
      const e = byCanvasId.get(String(sub.user_id));
      const a = points.get(sub.assignment_id);
      if (!e || !a || sub.score === null || sub.score === undefined || sub.excused) continue;
      const max = a.points_possible ?? 0;
      // A pass/fail assignment has its pass mark built in: full points for "complete".
      e.scores[canvasIds.assignment(a.id)] = {
        score: sub.score,
        max,
        ...(a.grading_type === 'pass_fail' ? { passMark: max } : {}),
      };
    }
    const mastery = new Map(view.outcomes.map((o) => [String(o.id), o.mastery_points]));
    for (const page of rollups ?? []) {
      for (const r of page.rollups) {
        const e = byCanvasId.get(String(r.links.user));
        if (!e) continue;
        for (const s of r.scores) {
          const needed = mastery.get(String(s.links.outcome));
          if (needed === undefined || s.score === null) continue;
          e.competencies[canvasIds.outcome(s.links.outcome)] = s.score >= needed;
        }
      }
    }

    // Module states need one request per student: only read when the rule maps a module.
    if (this.mapped.activities.size > 0) {
      await forEachLimited(view.students, 2, async (s) => {
        try {
          const modules = await this.client.getAll<CanvasModule>(`${this.base}/modules`, {
            student_id: s.canvasId,
          });
          const e = byCanvasId.get(s.canvasId)!;
          for (const m of modules) {
            // Canvas modules have no fail state: completed means every requirement (minimum scores too) is met.
            e.activities[canvasIds.module(m.id)] =
              m.state === 'completed' ? 'passed' : m.state === 'started' ? 'incomplete' : 'incomplete';
          }
        } catch (err) {
          this.fail(problems, 'module completion', err);
        }
      });
    }

    const options = this.optionsOf(view);
    const offered = new Set(options.map((o) => o.id));
    for (const id of [...this.mapped.items, ...this.mapped.activities, ...this.mapped.competencies]) {
      if (!offered.has(id)) problems.add(`Mapped ${id} is no longer in the Canvas course`);
    }
    if (this.mapped.courseCompletion)
      problems.add('Canvas has no course completion; map modules or a course total instead');
    return {
      learners: view.students.map((s) => s.learner),
      options,
      evidence,
      complete: problems.size === 0,
      problems: [...problems],
    };
  }

  private fail(problems: Set<string>, what: string, err: unknown): undefined {
    problems.add(`${what}: ${explainCanvasError(err)}`);
    return undefined;
  }

  private async readCourse(): Promise<CourseView> {
    const problems = new Set<string>();
    const [enrollments, users, assignments, groups, outcomes, modules] = await Promise.all([
      this.client
        .getAll<Enrollment>(`${this.base}/enrollments`, {
          'type[]': 'StudentEnrollment',
          'state[]': 'active',
        })
        .catch((err: unknown) => this.fail(problems, 'enrollments', err)),
      this.client
        .getAll<CanvasUser>(`${this.base}/users`, { 'enrollment_type[]': 'student', 'include[]': 'email' })
        .catch((err: unknown) => this.fail(problems, 'students', err)),
      this.client
        .getAll<Assignment>(`${this.base}/assignments`)
        .catch((err: unknown) => this.fail(problems, 'assignments', err)),
      this.client
        .getAll<{ id: number; name: string }>(`${this.base}/assignment_groups`)
        .catch((err: unknown) => this.fail(problems, 'assignment groups', err)),
      this.client
        .getAll<NonNullable<NonNullable<Rollups['linked']>['outcomes']>[number]>(
          `${this.base}/outcome_rollups`,
          { 'include[]': 'outcomes', aggregate: 'course' },
          (page) => (page as Rollups).linked?.outcomes ?? [],
        )
        .catch((err: unknown) => this.fail(problems, 'outcomes', err)),
      this.client
        .getAll<CanvasModule>(`${this.base}/modules`)
        .catch((err: unknown) => this.fail(problems, 'modules', err)),
    ]);

    const people = new Map((users ?? []).map((u) => [String(u.id), u]));
    const studentIds = [...new Set((enrollments ?? []).map((e) => String(e.user_id)))];
    const subs = studentIds.length ? await this.settings.resolveSubs(studentIds) : new Map<string, string>();
    const students: CourseView['students'] = [];
    let unlinked = 0;
    for (const canvasId of studentIds) {
      const sub = subs.get(canvasId);
      if (!sub) {
        unlinked++;
        continue;
      }
      const enrollment = enrollments!.find((e) => String(e.user_id) === canvasId)!;
      const person = people.get(canvasId);
      const name = person?.name ?? enrollment.user?.name ?? canvasId;
      const [familyName, givenName] = (person?.sortable_name ?? enrollment.user?.sortable_name ?? '').split(
        ', ',
      );
      const total = enrollment.grades?.final_score;
      students.push({
        canvasId,
        learner: {
          id: sub,
          name,
          ...(givenName && familyName ? { givenName, familyName } : {}),
          email: person?.email || undefined,
          locale: person?.locale || undefined,
          gradable: true,
        },
        ...(typeof total === 'number' ? { totalPercent: total } : {}),
      });
    }
    return {
      students,
      unlinked,
      assignments: (assignments ?? []).filter((a) => a.published !== false),
      groups: new Map((groups ?? []).map((g) => [g.id, g.name])),
      outcomes: dedupeById(outcomes ?? []),
      modules: modules ?? [],
      problems,
    };
  }

  private optionsOf(view: CourseView): EvidenceOption[] {
    return [
      ...view.assignments.map((a): EvidenceOption => {
        const group = view.groups.get(a.assignment_group_id);
        return {
          kind: 'assessment',
          id: canvasIds.assignment(a.id),
          name: group ? `${a.name} (${group})` : a.name,
          max: a.points_possible ?? 0,
          ...(a.grading_type === 'pass_fail' ? { passMark: a.points_possible ?? 0 } : {}),
        };
      }),
      ...view.modules.map((m): EvidenceOption => ({
        kind: 'activityCompletion',
        id: canvasIds.module(m.id),
        name: m.name,
      })),
      ...view.outcomes.map((o): EvidenceOption => ({
        kind: 'competency',
        id: canvasIds.outcome(o.id),
        name: o.title,
        max: o.points_possible,
        passMark: o.mastery_points,
      })),
    ];
  }
}

function dedupeById<T extends { id: number }>(items: T[]): T[] {
  return [...new Map(items.map((i) => [i.id, i])).values()];
}

/** The Canvas permission each endpoint needs, as an admin finds it under Permissions. */
const PERMISSIONS: [RegExp, string][] = [
  [/\/(enrollments|users)$/, 'Users - view list'],
  [/\/(students\/submissions|outcome_rollups)$/, 'Grades - view all grades'],
  [/\/modules$/, 'Grades - view all grades (module progress of students)'],
  [/\/(assignments|assignment_groups)$/, 'Course Content - view'],
];

export function explainCanvasError(err: unknown): string {
  if (!(err instanceof CanvasApiError)) return (err as Error).message;
  if (err.status === 401)
    return 'Canvas does not accept the token (mistyped, expired or deleted): create a new one';
  if (err.status === 404) return 'Canvas does not know this course (or the token’s user cannot see it)';
  if (err.status === 403) {
    const permission = PERMISSIONS.find(([re]) => re.test(err.path))?.[1];
    return `the token’s user lacks the Canvas permission ${permission ? `"${permission}"` : 'for this request'} (${err.message})`;
  }
  return err.message;
}

/** "Test connection" for Canvas: each endpoint the source reads, for the course, in plain words. */
export async function testCanvasConnection(
  client: CanvasClient,
  courseId: string,
): Promise<ConnectionReport> {
  const checks: ConnectionCheck[] = [];
  const missing = new Set<string>();
  const base = `/courses/${courseId}`;
  const run = async <T>(check: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      const data = await fn();
      checks.push({ check, ok: true, detail: 'ok' });
      return data;
    } catch (err) {
      const detail = explainCanvasError(err);
      const permission = /permission "([^"]+)"/.exec(detail)?.[1];
      if (permission) missing.add(permission);
      checks.push({ check, ok: false, detail });
      return undefined;
    }
  };
  const self = await run('Token', () => client.get('/users/self'));
  if (!self) return { ok: false, checks, missing: [...missing] };
  const course = await run('Course', () => client.get(base));
  if (!course) return { ok: false, checks, missing: [...missing] };
  const enrollments = await run('Enrollments with scores', () =>
    client.getAll<Enrollment>(`${base}/enrollments`, { 'type[]': 'StudentEnrollment' }),
  );
  await run('Students', () =>
    client.getAll(`${base}/users`, { 'enrollment_type[]': 'student', 'include[]': 'email' }),
  );
  await run('Assignments', () => client.getAll(`${base}/assignments`));
  await run('Assignment groups', () => client.getAll(`${base}/assignment_groups`));
  await run('Submissions', () => client.getAll(`${base}/students/submissions`, { 'student_ids[]': 'all' }));
  await run('Outcome results', () => client.getAll(`${base}/outcome_rollups`, {}, (p) => [p]));
  const student = enrollments?.[0];
  if (student) {
    await run('Module completion', () => client.getAll(`${base}/modules`, { student_id: student.user_id }));
  } else {
    await run('Modules', () => client.getAll(`${base}/modules`));
  }
  return { ok: checks.every((c) => c.ok), checks, missing: [...missing] };
}
