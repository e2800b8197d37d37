import type { LearnerEvidence } from '../courses/rules.js';
import { explainMoodleError } from './moodle-diagnosis.js';
import { MoodleWsError, type MoodleWsClient } from './moodle-ws-client.js';
import { forEachLimited, noMappedEvidence, type MappedEvidence } from './mapped.js';
import {
  emptyEvidence,
  type CourseSnapshot,
  type EvidenceOption,
  type GradeSource,
  type RosterLearner,
} from './source.js';

/**
 * Grades, completion and competencies through Moodle Web Services (shapes as Moodle 4.5 answers them, see
 * /work/shared/fixtures/moodle-4.5/webservice). Ids map directly: the LTI `context.id` is the Moodle course
 * id and `sub` the Moodle user id. Evidence ids carry a prefix per kind (`grade:7`, `cm:3`, `competency:1`),
 * since Moodle's grade item, course module and competency ids are separate sequences that collide.
 */

export const moodleIds = {
  gradeItem: (id: number | string) => `grade:${id}`,
  activity: (cmid: number | string) => `cm:${cmid}`,
  competency: (id: number | string) => `competency:${id}`,
  courseCompletion: 'course-completion',
};

interface WsGradeItem {
  id: number;
  itemname: string | null;
  itemtype: string;
  itemmodule: string | null;
  iteminstance: number | null;
  cmid?: number;
  outcomeid: number | null;
  graderaw: number | null;
  grademin: number;
  grademax: number;
}
export interface WsUserGrades {
  userid: number;
  userfullname: string;
  gradeitems: WsGradeItem[];
}
export interface WsEnrolledUser {
  id: number;
  firstname?: string;
  lastname?: string;
  fullname: string;
  email?: string;
  /** The user's Moodle language ('pt_br'): given to tokens that may see it (moodle/user:viewalldetails). */
  lang?: string;
  roles?: { shortname: string }[];
}
export interface WsSection {
  modules: { id: number; name: string; modname: string; instance: number; completion?: number }[];
}
interface WsCourseCompetency {
  competency: { id: number; shortname: string; idnumber: string };
}
export interface WsActivityStatus {
  cmid: number;
  modname: string;
  state: number;
}
interface WsUserCompetencies {
  usercompetencies: { usercompetencycourse: { competencyid: number; proficiency: boolean | null } }[];
}

/**
 * Modules that always have a grade item: one of these in the course with no gradebook rows means the rows were
 * dropped for lack of mod/<module>:view (modules like forum are graded only when set up so).
 */
export const ASSESSED_MODULES = new Set(['assign', 'quiz', 'lesson', 'workshop', 'scorm', 'h5pactivity']);

const ACTIVITY_STATES: Record<number, LearnerEvidence['activities'][string]> = {
  0: 'incomplete',
  1: 'complete',
  2: 'passed',
  3: 'failed',
};

/** The course-level reading: who is there, which items exist, and their pass marks. */
interface CourseView {
  learners: RosterLearner[];
  usergrades: Map<string, WsGradeItem[]>;
  modules: Map<number, { name: string; modname: string; completion: boolean }>;
  competencies: WsCourseCompetency[];
  passMarks: Map<number, number>;
  hasCourseCompletion: boolean;
  problems: Set<string>;
}

export interface MoodleSourceOptions {
  /** Moodle course id (the launch's `context.id`). */
  courseId: string;
  /** What the binding's rule maps: each must be visible, and competencies are read only when mapped. */
  mapped?: MappedEvidence;
}

export class MoodleWsGradeSource implements GradeSource {
  readonly kind = 'moodle';
  private readonly courseId: number;
  private readonly mapped: MappedEvidence;

  constructor(
    private readonly client: MoodleWsClient,
    options: MoodleSourceOptions,
  ) {
    this.courseId = Number(options.courseId);
    if (!Number.isInteger(this.courseId) || this.courseId <= 0)
      throw new Error(`not a Moodle course id: ${options.courseId}`);
    this.mapped = options.mapped ?? noMappedEvidence();
  }

  /** What the instructor can map, without reading every learner. */
  async options(): Promise<{ options: EvidenceOption[]; problems: string[] }> {
    const view = await this.readCourse();
    return { options: this.optionsOf(view), problems: [...view.problems] };
  }

  async snapshot(): Promise<CourseSnapshot> {
    const view = await this.readCourse();
    const { problems } = view;
    const evidence = new Map<string, LearnerEvidence>();
    const seenActivities = new Set<string>();
    const readCompetencies = this.mapped.competencies.size > 0;

    await forEachLimited(view.learners, 4, async (learner) => {
      const e = emptyEvidence();
      evidence.set(learner.id, e);
      this.scoresOf(view, learner.id, e);
      const userid = Number(learner.id);
      const calls: Promise<void>[] = [
        this.client
          .call<{ statuses: WsActivityStatus[] }>('core_completion_get_activities_completion_status', {
            courseid: this.courseId,
            userid,
          })
          .then((r) => {
            for (const s of r.statuses) {
              const id = moodleIds.activity(s.cmid);
              seenActivities.add(id);
              e.activities[id] = ACTIVITY_STATES[s.state] ?? 'incomplete';
            }
          }),
      ];
      if (view.hasCourseCompletion) {
        calls.push(
          this.client
            .call<{ completionstatus: { completed: boolean } }>(
              'core_completion_get_course_completion_status',
              {
                courseid: this.courseId,
                userid,
              },
            )
            .then((r) => {
              e.courseCompleted = r.completionstatus.completed === true;
            }),
        );
      }
      // report_competency_data_for_report writes a rating row in Moodle when none exists: only when mapped.
      if (readCompetencies) {
        calls.push(
          this.client
            .call<WsUserCompetencies>('report_competency_data_for_report', {
              courseid: this.courseId,
              userid,
              moduleid: 0,
            })
            .then((r) => {
              for (const uc of r.usercompetencies) {
                const id = moodleIds.competency(uc.usercompetencycourse.competencyid);
                if (this.mapped.competencies.has(id))
                  e.competencies[id] = uc.usercompetencycourse.proficiency === true;
              }
            }),
        );
      }
      for (const result of await Promise.allSettled(calls)) {
        if (result.status === 'rejected') problems.add(explainMoodleError(result.reason).text);
      }
    });

    const options = this.optionsOf(view);
    this.checkMapped(view, options, seenActivities);
    return {
      learners: view.learners,
      options,
      evidence,
      complete: problems.size === 0,
      problems: [...problems],
    };
  }

  private async readCourse(): Promise<CourseView> {
    const problems = new Set<string>();
    const failed = (err: unknown) => {
      problems.add(explainMoodleError(err).text);
      return undefined;
    };
    const courseid = this.courseId;
    const [enrolled, report, sections, competencies] = await Promise.all([
      this.client.call<WsEnrolledUser[]>('core_enrol_get_enrolled_users', { courseid }).catch(failed),
      this.client
        .call<{ usergrades: WsUserGrades[] }>('gradereport_user_get_grade_items', { courseid })
        .catch(failed),
      this.client.call<WsSection[]>('core_course_get_contents', { courseid }).catch(failed),
      this.client
        .call<WsCourseCompetency[]>('core_competency_list_course_competencies', { id: courseid })
        .catch(failed),
    ]);

    // The user report lists the people with a graded role; the enrolment list adds names and e-mails.
    const people = new Map((enrolled ?? []).map((u) => [String(u.id), u]));
    const usergrades = new Map<string, WsGradeItem[]>();
    const learners: RosterLearner[] = [];
    for (const ug of report?.usergrades ?? []) {
      const id = String(ug.userid);
      usergrades.set(id, ug.gradeitems);
      const person = people.get(id);
      learners.push({
        id,
        name: person?.fullname ?? ug.userfullname,
        givenName: person?.firstname,
        familyName: person?.lastname,
        email: person?.email || undefined,
        ...(person?.lang ? { locale: person.lang } : {}),
        gradable: true,
      });
    }

    const modules = new Map<number, { name: string; modname: string; completion: boolean }>();
    for (const section of sections ?? [])
      for (const m of section.modules)
        modules.set(m.id, { name: m.name, modname: m.modname, completion: (m.completion ?? 0) > 0 });

    // The gradebook has no numeric pass mark; a quiz's grade to pass comes with mod_quiz_get_user_best_grade.
    const passMarks = new Map<number, number>();
    const firstLearner = learners[0];
    const firstItems = firstLearner ? (usergrades.get(firstLearner.id) ?? []) : [];
    if (firstLearner) {
      await Promise.all(
        firstItems
          .filter((i) => i.itemmodule === 'quiz' && i.iteminstance)
          .map(async (i) => {
            try {
              const best = await this.client.call<{ gradetopass?: number }>('mod_quiz_get_user_best_grade', {
                quizid: i.iteminstance!,
                userid: Number(firstLearner.id),
              });
              if (best.gradetopass && best.gradetopass > 0) passMarks.set(i.id, best.gradetopass);
            } catch (err) {
              failed(err);
            }
          }),
      );
    }

    // Course completion exists when Moodle has criteria for it; "nocriteriaset" means there is nothing to map.
    let hasCourseCompletion = false;
    if (firstLearner) {
      try {
        await this.client.call('core_completion_get_course_completion_status', {
          courseid,
          userid: Number(firstLearner.id),
        });
        hasCourseCompletion = true;
      } catch (err) {
        if (!(err instanceof MoodleWsError && err.errorcode === 'nocriteriaset')) failed(err);
      }
    }

    return {
      learners,
      usergrades,
      modules,
      competencies: competencies ?? [],
      passMarks,
      hasCourseCompletion,
      problems,
    };
  }

  private scoresOf(view: CourseView, learnerId: string, e: LearnerEvidence): void {
    for (const item of view.usergrades.get(learnerId) ?? []) {
      if (item.outcomeid !== null || item.graderaw === null || item.graderaw === undefined) continue;
      const passMark = view.passMarks.get(item.id);
      e.scores[moodleIds.gradeItem(item.id)] = {
        score: item.graderaw,
        max: item.grademax,
        ...(passMark !== undefined ? { passMark } : {}),
      };
      if (item.itemtype === 'course') {
        const range = item.grademax - item.grademin;
        e.courseTotalPercent = range > 0 ? ((item.graderaw - item.grademin) / range) * 100 : 0;
      }
    }
  }

  private optionsOf(view: CourseView): EvidenceOption[] {
    const options: EvidenceOption[] = [];
    const first = view.learners[0];
    for (const item of first ? (view.usergrades.get(first.id) ?? []) : []) {
      if (item.outcomeid !== null) continue; // outcome items are scales, mapped through competencies instead
      const passMark = view.passMarks.get(item.id);
      options.push({
        kind: 'assessment',
        id: moodleIds.gradeItem(item.id),
        name: item.itemtype === 'course' ? 'Course total' : (item.itemname ?? `Grade item ${item.id}`),
        max: item.grademax,
        ...(passMark !== undefined ? { passMark } : {}),
      });
    }
    for (const [cmid, m] of view.modules) {
      if (m.completion)
        options.push({ kind: 'activityCompletion', id: moodleIds.activity(cmid), name: m.name });
    }
    for (const c of view.competencies) {
      options.push({
        kind: 'competency',
        id: moodleIds.competency(c.competency.id),
        name: c.competency.shortname,
      });
    }
    if (view.hasCourseCompletion)
      options.push({ kind: 'courseCompletion', id: moodleIds.courseCompletion, name: 'Course completion' });
    return options;
  }

  /**
   * Moodle leaves out, without an error, the grade and completion rows of modules the web service user may
   * not view (mod/<module>:view). A mapped item that is not there is therefore a problem, never a fail.
   */
  private checkMapped(view: CourseView, options: EvidenceOption[], seenActivities: Set<string>): void {
    if (view.learners.length === 0) return;
    const offered = new Set(options.map((o) => o.id));
    const hidden = hiddenModuleTypes(view);
    const hint = hidden.length
      ? `: the web service user probably lacks ${hidden.map((m) => `mod/${m}:view`).join(', ')}`
      : ' (deleted, or hidden from the web service user)';
    for (const id of this.mapped.items) {
      if (!offered.has(id))
        view.problems.add(`Mapped grade item ${id} is not in the Moodle gradebook${hint}`);
    }
    for (const id of this.mapped.activities) {
      if (seenActivities.has(id)) continue;
      const cm = view.modules.get(Number(id.replace(/^cm:/, '')));
      view.problems.add(
        cm
          ? `Completion of "${cm.name}" (${id}) is missing from Moodle's answers: the web service user lacks mod/${cm.modname}:view`
          : `Mapped activity ${id} is not in the course${hint}`,
      );
    }
    for (const id of this.mapped.competencies) {
      if (!offered.has(id)) view.problems.add(`Mapped competency ${id} is no longer linked to the course`);
    }
  }
}

/** Graded module types the course shows but the gradebook answer has no rows for. */
function hiddenModuleTypes(view: CourseView): string[] {
  const first = view.learners[0];
  const graded = new Set((first ? (view.usergrades.get(first.id) ?? []) : []).map((i) => i.itemmodule));
  const shown = new Set(
    [...view.modules.values()].map((m) => m.modname).filter((m) => ASSESSED_MODULES.has(m)),
  );
  return [...shown].filter((m) => !graded.has(m));
}
