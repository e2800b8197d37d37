import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import type { Rule } from '../../src/courses/rules.js';
import { LmsConnection, saveLmsConnection } from '../../src/grades/lms-connection-model.js';
import { gradeSourceForBinding, testLmsConnection } from '../../src/grades/lms-sources.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { syncBinding, type SyncDeps } from '../../src/issuance/sync.js';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { configureOutbound } from '../../src/net/outbound.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { captureLikeCourse, MoodleWsSimulator, type MoodleSimCourse } from '../simulator/moodle-ws.js';

/** The Moodle Web Services source over real HTTP against the simulator, synced into a real database. */
const config = testConfig();
// The clients are used without createLti, which would apply this: the simulator is on 127.0.0.1.
configureOutbound({ allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS });
const logger = silentLogger();
const key = randomBytes(32);
const TOKEN = 'moodle-token-0123456789';
const PLATFORM = 'platform-moodle';
let sim: MoodleWsSimulator;
let redis: RedisClient;
let queues: Queues;
let deps: SyncDeps;
let course: MoodleSimCourse;

/** Assignment >= 50%, quiz at its pass mark, final exam >= 60 points, competency 1, course completion, total >= 60%. */
const fullRule: Rule = {
  outcomes: [
    {
      outcome: 0,
      combine: 'all',
      evidence: [{ kind: 'assessment', itemId: 'grade:7', threshold: { unit: 'percent', value: 50 } }],
    },
    {
      outcome: 1,
      combine: 'all',
      evidence: [{ kind: 'assessment', itemId: 'grade:8', threshold: { unit: 'passMark' } }],
    },
    {
      outcome: 2,
      combine: 'all',
      evidence: [{ kind: 'assessment', itemId: 'grade:9', threshold: { unit: 'points', value: 60 } }],
    },
    { outcome: 3, combine: 'all', evidence: [{ kind: 'competency', competencyId: 'competency:1' }] },
    {
      outcome: 4,
      combine: 'all',
      evidence: [
        { kind: 'courseCompletion' },
        { kind: 'activityCompletion', activityId: 'cm:4', requirePass: true },
      ],
    },
  ],
  require: { mode: 'all' },
  minCourseTotalPercent: 60,
};

async function binding(rule: Rule, templateId = `tpl-${randomBytes(3).toString('hex')}`) {
  return CourseBinding.create({
    institutionId: 'grades-u',
    platformId: PLATFORM,
    deploymentId: '1',
    contextId: '2',
    courseId: 'course-2',
    templateId,
    templateVersion: 1,
    issuerId: 'issuer-1',
    rule,
    source: { kind: 'moodle' },
  });
}

function student(
  id: number,
  first: string,
  grades: [number, number, number],
  opts: { quizState?: number; proficient?: boolean; completed?: boolean; lang?: string } = {},
) {
  course.users.set(id, {
    id,
    firstname: first,
    lastname: 'Student',
    email: `${first.toLowerCase()}@example.com`,
    role: 'student',
    ...(opts.lang ? { lang: opts.lang } : {}),
  });
  course.grades.set(
    id,
    new Map([
      [7, grades[0]],
      [8, grades[1]],
      [9, grades[2]],
      [10, 2],
    ]),
  );
  course.completion.set(
    id,
    new Map([
      [3, grades[0] >= 50 ? 2 : 3],
      [4, opts.quizState ?? (grades[1] >= 5 ? 2 : 3)],
    ]),
  );
  course.courseCompletion!.set(id, opts.completed ?? true);
  if (opts.proficient !== undefined) course.proficiency.set(id, new Map([[1, opts.proficient]]));
}

beforeAll(async () => {
  await connectDatabase(config.MONGODB_URI, logger);
  redis = createRedis(config.REDIS_URL, 'client', logger);
  queues = createQueues(redis, config.QUEUE_PREFIX);
  deps = {
    queues,
    logger,
    credentials: {
      issue: async () => ({ credentialId: 'x' }),
      setStatus: async () => undefined,
      summary: async () => ({ title: 't', issuer: 'i' }),
    },
  };
  sim = await new MoodleWsSimulator().start();
});

afterAll(async () => {
  await sim.stop();
  await queues.close();
  redis.disconnect();
  await disconnectDatabase();
});

beforeEach(async () => {
  sim.courses.clear();
  sim.tokens.clear();
  sim.calls.length = 0;
  sim.competencyRowsWritten = 0;
  sim.disabledFunctions.clear();
  sim.addToken(TOKEN);
  await Promise.all([
    CourseBinding.deleteMany({}),
    IssuanceRequest.deleteMany({}),
    LmsConnection.deleteMany({}),
  ]);
  await saveLmsConnection(key, PLATFORM, { kind: 'moodle', baseUrl: sim.url, token: TOKEN });
  course = captureLikeCourse(sim);
  course.users.set(3, {
    id: 3,
    firstname: 'Terry',
    lastname: 'Teacher',
    email: 't@example.com',
    role: 'editingteacher',
  });
  student(4, 'Sam', [85, 10, 80], { proficient: true, lang: 'pt_br' }); // meets everything
  student(5, 'Sasha', [30, 10, 80], { proficient: true }); // assignment below 50%
  student(11, 'Quinn', [90, 4, 90], { proficient: true }); // quiz below its pass mark of 5
  student(12, 'Kim', [90, 9, 90], { proficient: false }); // competency not proficient
  student(13, 'Lee', [90, 9, 90], { proficient: true, completed: false }); // course not completed
  student(14, 'Max', [70, 6, 65], { proficient: true }); // meets everything (total 141/210 = 67%)
  student(15, 'Ola', [60, 5, 60], { proficient: true }); // total 125/210 = 59.5% < 60
});

describe('Moodle Web Services grade source', () => {
  it('issues to exactly the learners who meet the rule, with pass marks, competencies and completion', async () => {
    const b = await binding(fullRule);
    const source = await gradeSourceForBinding(key, b);
    const snapshot = await source.snapshot();
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.learners.map((l) => l.id).sort()).toEqual(['11', '12', '13', '14', '15', '4', '5']);
    expect(snapshot.learners.find((l) => l.id === '4')).toMatchObject({
      name: 'Sam Student',
      email: 'sam@example.com',
    });
    expect(snapshot.options).toEqual(
      expect.arrayContaining([
        { kind: 'assessment', id: 'grade:7', name: 'Essay assignment', max: 100 },
        { kind: 'assessment', id: 'grade:8', name: 'Check quiz', max: 10, passMark: 5 },
        { kind: 'assessment', id: 'grade:9', name: 'Final exam (offline)', max: 100 },
        { kind: 'assessment', id: 'grade:1', name: 'Course total', max: 210 },
        { kind: 'activityCompletion', id: 'cm:3', name: 'Essay assignment' },
        { kind: 'competency', id: 'competency:1', name: 'Write an essay' },
        { kind: 'courseCompletion', id: 'course-completion', name: 'Course completion' },
      ]),
    );
    expect(snapshot.options.some((o) => o.id === 'grade:10')).toBe(false); // outcome item
    expect(snapshot.evidence.get('4')).toMatchObject({
      scores: { 'grade:8': { score: 10, max: 10, passMark: 5 } },
      activities: { 'cm:3': 'passed', 'cm:4': 'passed' },
      competencies: { 'competency:1': true },
      courseCompleted: true,
    });

    const summary = await syncBinding(b, source, deps);
    expect(summary.status).toBe('ok');
    const requests = await IssuanceRequest.find({ bindingId: String(b._id) }).lean();
    expect(requests.map((r) => r.learnerId).sort()).toEqual(['14', '4']);
    // The learner's Moodle language goes with the request, and from there into the credential.
    expect(requests.find((r) => r.learnerId === '4')?.learner).toMatchObject({
      name: 'Sam Student',
      email: 'sam@example.com',
      locale: 'pt_br',
    });

    // A second sync records nothing twice.
    expect((await syncBinding(b, await gradeSourceForBinding(key, b), deps)).newRequests).toBe(0);
  });

  it('reads competency ratings only when the rule maps a competency (Moodle writes rows on read)', async () => {
    const b = await binding({
      outcomes: [
        {
          outcome: 0,
          combine: 'all',
          evidence: [{ kind: 'assessment', itemId: 'grade:1', threshold: { unit: 'percent', value: 80 } }],
        },
      ],
      require: { mode: 'all' },
    });
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    expect(summary.status).toBe('ok');
    expect(sim.calls.some((c) => c.wsfunction === 'report_competency_data_for_report')).toBe(false);
    expect(sim.competencyRowsWritten).toBe(0);
    // Course total >= 80%: Sam 175/210, Quinn 184/210, Kim and Lee 189/210; Max 67%, Sasha 57%, Ola 59.5%.
    const requests = await IssuanceRequest.find({ bindingId: String(b._id) }).lean();
    expect(requests.map((r) => r.learnerId).sort()).toEqual(['11', '12', '13', '4']);
  });

  it('without mod/quiz:view: test connection names it, and sync refuses to issue on the silently partial data', async () => {
    sim.dropCapability(TOKEN, 'mod/quiz:view');
    const report = await testLmsConnection(key, PLATFORM, '2');
    expect(report?.ok).toBe(false);
    expect(report?.missing).toEqual(['mod/quiz:view']);
    expect(report?.checks.find((c) => !c.ok)?.detail).toMatch(/lacks mod\/quiz:view/);

    const b = await binding(fullRule);
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    expect(summary.status).toBe('partial');
    expect(summary.problems.join('\n')).toMatch(/mod\/quiz:view/);
    expect(await IssuanceRequest.countDocuments({ bindingId: String(b._id) })).toBe(0);
  });

  it.each([
    ['moodle/grade:viewall', 'gradereport_user_get_grade_items'],
    ['report/completion:view', 'core_completion_get_course_completion_status'],
    ['moodle/competency:usercompetencyview', 'report_competency_data_for_report'],
  ])('without %s: test connection names it, sync records no request', async (capability, fn) => {
    sim.dropCapability(TOKEN, capability);
    const b = await binding(fullRule);
    const report = await testLmsConnection(key, PLATFORM, '2');
    expect(report?.ok).toBe(false);
    expect(report?.missing).toContain(capability);
    expect(
      report?.checks
        .filter((c) => !c.ok)
        .map((c) => c.detail)
        .join('\n'),
    ).toContain(`${fn}: the web service user lacks the capability ${capability}`);
    expect((await LmsConnection.findOne({ platformId: PLATFORM }).lean())?.lastTest).toMatchObject({
      ok: false,
    });

    const summary = await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    expect(summary.status).toBe('partial');
    expect(summary.problems.join('\n')).toContain(capability);
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('reports a full token as ok, and a wrong token or a function outside the service in plain words', async () => {
    const b = await binding(fullRule);
    const ok = await testLmsConnection(key, PLATFORM, '2');
    expect(ok).toMatchObject({ ok: true, missing: [] });
    expect(ok?.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining([
        'Token',
        'Grades',
        'Activity completion',
        'Course completion',
        'Quiz pass marks',
        'Competency ratings',
      ]),
    );

    sim.disabledFunctions.add('core_completion_get_activities_completion_status');
    const outside = await testLmsConnection(key, PLATFORM, '2');
    expect(outside?.checks.find((c) => c.check === 'Activity completion')?.detail).toMatch(
      /core_completion_get_activities_completion_status is not in the token's external service/,
    );

    await saveLmsConnection(key, PLATFORM, { kind: 'moodle', baseUrl: sim.url, token: 'revoked-token-123' });
    const bad = await testLmsConnection(key, PLATFORM, '2');
    expect(bad?.checks[0]).toMatchObject({ check: 'Token', ok: false });
    expect(bad?.checks[0]?.detail).toMatch(/does not know this token/);
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    expect(summary.status).toBe('partial');
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('without webservice/rest:use, sync records no request and its problem points at the capability', async () => {
    sim.dropCapability(TOKEN, 'webservice/rest:use');
    const b = await binding(fullRule);
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    expect(summary.status).toBe('partial');
    expect(summary.problems.join('\n')).toMatch(
      /lacks webservice\/rest:use; the connection test tells which/,
    );
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('a course without completion criteria offers no course completion and is not a problem', async () => {
    course.courseCompletion = undefined;
    const b = await binding({
      outcomes: [
        {
          outcome: 0,
          combine: 'all',
          evidence: [{ kind: 'assessment', itemId: 'grade:8', threshold: { unit: 'passMark' } }],
        },
      ],
      require: { mode: 'all' },
    });
    const snapshot = await (await gradeSourceForBinding(key, b)).snapshot();
    expect(snapshot.complete).toBe(true);
    expect(snapshot.options.some((o) => o.kind === 'courseCompletion')).toBe(false);
    await syncBinding(b, await gradeSourceForBinding(key, b), deps);
    const requests = await IssuanceRequest.find({}).lean();
    expect(requests.map((r) => r.learnerId).sort()).toEqual(['12', '13', '14', '15', '4', '5']);
  });
});
