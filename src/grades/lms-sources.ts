import type { CourseBindingDoc } from '../courses/binding-model.js';
import { CourseBinding } from '../courses/binding-model.js';
import { ruleSchema } from '../courses/rules.js';
import { canvasCourseId, canvasUserSubs } from './canvas-ids.js';
import { CanvasClient, type CanvasClientOptions } from './canvas-client.js';
import { CanvasGradeSource, testCanvasConnection } from './canvas-source.js';
import { connectionToken, LmsConnection } from './lms-connection-model.js';
import { mappedEvidence, noMappedEvidence, type ConnectionReport, type MappedEvidence } from './mapped.js';
import { MoodleWsClient } from './moodle-ws-client.js';
import { testMoodleConnection } from './moodle-connection-test.js';
import { MoodleWsGradeSource } from './moodle-ws-source.js';
import type { CourseSnapshot, EvidenceOption, GradeSource } from './source.js';

/** Client tuning; defaults suit production, tests shorten the Canvas backoff. */
export interface LmsClientSettings {
  timeoutMs?: number;
  canvas?: Pick<CanvasClientOptions, 'backoffMs' | 'maxRetries' | 'lowQuota' | 'slowDownMs' | 'perPage'>;
}

type LmsClient = { kind: 'moodle'; client: MoodleWsClient } | { kind: 'canvas'; client: CanvasClient };

export async function lmsClientFor(
  key: Buffer,
  platformId: string,
  settings: LmsClientSettings = {},
): Promise<LmsClient | undefined> {
  const doc = await LmsConnection.findOne({ platformId });
  if (!doc) return undefined;
  const token = connectionToken(key, doc);
  const common = { baseUrl: doc.baseUrl, token, timeoutMs: settings.timeoutMs };
  return doc.kind === 'moodle'
    ? { kind: 'moodle', client: new MoodleWsClient(common) }
    : { kind: 'canvas', client: new CanvasClient({ ...common, ...settings.canvas }) };
}

/** A source that reads nothing and says why: grade sync then records the problem and issues nothing. */
class UnavailableSource implements GradeSource {
  constructor(
    readonly kind: string,
    private readonly problem: string,
  ) {}
  async snapshot(): Promise<CourseSnapshot> {
    return { learners: [], options: [], evidence: new Map(), complete: false, problems: [this.problem] };
  }
  async options() {
    return { options: [] as EvidenceOption[], problems: [this.problem] };
  }
}

export type LmsGradeSource = GradeSource & {
  options(): Promise<{ options: EvidenceOption[]; problems: string[] }>;
};

/** The Moodle or Canvas source for one course of a platform, reading what `mapped` needs. */
export async function lmsGradeSource(
  key: Buffer,
  course: { platformId: string; deploymentId: string; contextId: string },
  mapped: MappedEvidence = noMappedEvidence(),
  settings: LmsClientSettings = {},
): Promise<LmsGradeSource> {
  const lms = await lmsClientFor(key, course.platformId, settings);
  if (!lms)
    return new UnavailableSource(
      'lms',
      'No LMS API connection is set for this platform (admin API: lms-connection)',
    );
  if (lms.kind === 'moodle') {
    return new MoodleWsGradeSource(lms.client, { courseId: course.contextId, mapped });
  }
  const courseId = await canvasCourseId(course.platformId, course.deploymentId, course.contextId);
  if (!courseId)
    return new UnavailableSource(
      'canvas',
      'The Canvas course id is unknown: add the custom field canvas_course_id=$Canvas.course.id to the tool and launch it from the course',
    );
  return new CanvasGradeSource(lms.client, {
    courseId,
    mapped,
    resolveSubs: (ids) => canvasUserSubs(course.platformId, ids),
  });
}

/** The source grade sync uses for a binding whose source kind is "moodle" or "canvas". */
export async function gradeSourceForBinding(
  key: Buffer,
  binding: CourseBindingDoc,
  settings: LmsClientSettings = {},
): Promise<GradeSource> {
  const parsed = ruleSchema.safeParse(binding.rule);
  const source = await lmsGradeSource(
    key,
    binding,
    mappedEvidence(parsed.success ? parsed.data : undefined),
    settings,
  );
  if (source.kind !== 'lms' && source.kind !== binding.source?.kind)
    return new UnavailableSource(
      binding.source?.kind ?? 'lms',
      `The binding reads from ${binding.source?.kind}, but the platform's LMS connection is ${source.kind}`,
    );
  return source;
}

/**
 * "Test connection" for a course: `courseId` is Moodle's course id or Canvas's REST course id. Competency
 * ratings are read in Moodle only when a binding of that course maps a competency (the call writes rows).
 */
export async function testLmsConnection(
  key: Buffer,
  platformId: string,
  courseId: string,
  settings: LmsClientSettings = {},
): Promise<ConnectionReport | undefined> {
  const lms = await lmsClientFor(key, platformId, settings);
  if (!lms) return undefined;
  let report: ConnectionReport;
  if (lms.kind === 'moodle') {
    const mapped = noMappedEvidence();
    const bindings = await CourseBinding.find({ platformId, contextId: courseId }, { rule: 1 }).lean();
    for (const b of bindings) {
      const rule = ruleSchema.safeParse(b.rule);
      if (rule.success) for (const c of mappedEvidence(rule.data).competencies) mapped.competencies.add(c);
    }
    report = await testMoodleConnection(lms.client, courseId, mapped);
  } else {
    report = await testCanvasConnection(lms.client, courseId);
  }
  await LmsConnection.updateOne(
    { platformId },
    { $set: { lastTest: { at: new Date(), ok: report.ok, missing: report.missing } } },
  );
  return report;
}
