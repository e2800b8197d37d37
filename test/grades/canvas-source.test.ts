import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import type { Rule } from '../../src/courses/rules.js';
import { LmsCourseLink, LmsUserLink, recordCanvasLaunchIds } from '../../src/grades/canvas-ids.js';
import { LmsConnection, saveLmsConnection } from '../../src/grades/lms-connection-model.js';
import {
  gradeSourceForBinding,
  testLmsConnection,
  type LmsClientSettings,
} from '../../src/grades/lms-sources.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { syncBinding, type SyncDeps } from '../../src/issuance/sync.js';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { configureOutbound } from '../../src/net/outbound.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { CanvasRestSimulator, type CanvasSimCourse } from '../simulator/canvas-rest.js';

/** The Canvas REST source over real HTTP against the simulator (paging, throttling, errors), synced for real. */
const config = testConfig();
// The clients are used without createLti, which would apply this: the simulator is on 127.0.0.1.
configureOutbound({ allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS });
const logger = silentLogger();
const key = randomBytes(32);
const TOKEN = '7~canvas-token-0123456789';
const PLATFORM = 'platform-canvas';
const CONTEXT = 'f8a1b2c3d4e5-lti-context';
const settings: LmsClientSettings = { canvas: { backoffMs: 20, slowDownMs: 5, perPage: 3 } };
let sim: CanvasRestSimulator;
let redis: RedisClient;
let queues: Queues;
let deps: SyncDeps;
let course: CanvasSimCourse;

/** Both essays >= 60%, outcome 501 mastered, module 71 completed, course score >= 70%. */
const rule: Rule = {
  outcomes: [
    {
      outcome: 0,
      combine: 'all',
      evidence: [
        { kind: 'assessment', itemId: 'assignment:31', threshold: { unit: 'percent', value: 60 } },
        { kind: 'assessment', itemId: 'assignment:32', threshold: { unit: 'percent', value: 60 } },
      ],
    },
    { outcome: 1, combine: 'all', evidence: [{ kind: 'competency', competencyId: 'outcome:501' }] },
    {
      outcome: 2,
      combine: 'all',
      evidence: [{ kind: 'activityCompletion', activityId: 'module:71', requirePass: true }],
    },
  ],
  require: { mode: 'all' },
  minCourseTotalPercent: 70,
};

async function binding() {
  return CourseBinding.create({
    institutionId: 'grades-u',
    platformId: PLATFORM,
    deploymentId: '1:abc',
    contextId: CONTEXT,
    courseId: 'course-canvas',
    templateId: `tpl-${randomBytes(3).toString('hex')}`,
    templateVersion: 1,
    issuerId: 'issuer-1',
    rule,
    source: { kind: 'canvas' },
  });
}

/** A learner's launch: records the canvas_user_id / canvas_course_id custom fields next to the LTI ids. */
async function launch(canvasUserId: number) {
  await recordCanvasLaunchIds(PLATFORM, '1:abc', {
    sub: `lti-sub-${canvasUserId}`,
    'https://purl.imsglobal.org/spec/lti/claim/context': { id: CONTEXT },
    'https://purl.imsglobal.org/spec/lti/claim/custom': {
      canvas_user_id: String(canvasUserId),
      canvas_course_id: '8801',
    },
  });
}

function student(
  id: number,
  name: string,
  essays: [number, number],
  outcome: number,
  moduleDone: boolean,
  total: number,
) {
  const [first, last] = name.split(' ');
  course.students.push({
    id,
    name,
    sortableName: `${last}, ${first}`,
    email: `${first!.toLowerCase()}@example.edu`,
  });
  course.scores.set(
    id,
    new Map([
      [31, essays[0]],
      [32, essays[1]],
    ]),
  );
  course.outcomeScores.set(
    id,
    new Map([
      [501, outcome],
      [502, 1],
    ]),
  );
  if (moduleDone) course.completedModules.set(id, new Set([71]));
  course.finalScores.set(id, total);
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
  sim = await new CanvasRestSimulator().start();
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
  sim.requests.length = 0;
  sim.quota = 700;
  sim.throttleNext = 0;
  sim.addToken(TOKEN);
  await Promise.all(
    [CourseBinding, IssuanceRequest, LmsConnection, LmsUserLink, LmsCourseLink].map((m) =>
      (m as typeof CourseBinding).deleteMany({}),
    ),
  );
  await saveLmsConnection(key, PLATFORM, { kind: 'canvas', baseUrl: sim.url, token: TOKEN });
  course = sim.addCourse({
    id: 8801,
    name: 'Data Literacy',
    groups: [{ id: 21, name: 'Essays' }],
    assignments: [
      { id: 31, name: 'Essay 1', points: 20, groupId: 21 },
      { id: 32, name: 'Essay 2', points: 50, groupId: 21 },
      { id: 33, name: 'Reading check', points: 1, groupId: 21, gradingType: 'pass_fail' },
    ],
    outcomes: [
      { id: 501, title: 'Interprets charts', masteryPoints: 3, pointsPossible: 5 },
      { id: 502, title: 'Cites sources', masteryPoints: 3, pointsPossible: 5 },
    ],
    modules: [
      { id: 70, name: 'Week 1' },
      { id: 71, name: 'Final project' },
    ],
  });
  // Eight students, so every list spans pages of three.
  student(101, 'Ana Lopez', [18, 40], 4, true, 85); // meets everything
  student(102, 'Ben Kerr', [10, 45], 4, true, 80); // essay 1 at 50%
  student(103, 'Cy Dunn', [16, 35], 2, true, 78); // outcome not mastered
  student(104, 'Di Moss', [16, 35], 3, false, 75); // module not completed
  student(105, 'Ed Park', [12, 30], 3, true, 72); // meets everything (exactly 60% twice, mastery 3 of 3)
  student(106, 'Flo Hart', [20, 50], 5, true, 65); // course score below 70
  student(107, 'Gus Lee', [20, 50], 5, true, 95); // meets everything
  student(108, 'Hal Ng', [20, 50], 5, true, 95); // meets everything, but never launched the tool
  for (const id of [101, 102, 103, 104, 105, 106, 107]) await launch(id);
});

describe('Canvas REST grade source', () => {
  it('issues to exactly the launched learners who meet the rule, reading every page', async () => {
    const b = await binding();
    const source = await gradeSourceForBinding(key, b, settings);
    const snapshot = await source.snapshot();
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.learners).toHaveLength(7);
    expect(snapshot.learners.find((l) => l.id === 'lti-sub-101')).toMatchObject({
      name: 'Ana Lopez',
      givenName: 'Ana',
      familyName: 'Lopez',
      email: 'ana@example.edu',
    });
    expect(snapshot.options).toEqual(
      expect.arrayContaining([
        { kind: 'assessment', id: 'assignment:31', name: 'Essay 1 (Essays)', max: 20 },
        { kind: 'assessment', id: 'assignment:33', name: 'Reading check (Essays)', max: 1, passMark: 1 },
        { kind: 'activityCompletion', id: 'module:71', name: 'Final project' },
        { kind: 'competency', id: 'outcome:501', name: 'Interprets charts', max: 5, passMark: 3 },
      ]),
    );
    expect(snapshot.evidence.get('lti-sub-101')).toMatchObject({
      scores: { 'assignment:31': { score: 18, max: 20 } },
      competencies: { 'outcome:501': true, 'outcome:502': false },
      activities: { 'module:71': 'passed', 'module:70': 'incomplete' },
      courseTotalPercent: 85,
    });
    // Pages of three: the submissions list (8 students x 3 assignments) took several requests.
    expect(sim.requests.filter((r) => r.includes('/students/submissions')).length).toBeGreaterThanOrEqual(8);

    const summary = await syncBinding(b, source, deps);
    expect(summary.status).toBe('ok');
    const requests = await IssuanceRequest.find({ bindingId: String(b._id) }).lean();
    expect(requests.map((r) => r.learnerId).sort()).toEqual(['lti-sub-101', 'lti-sub-105', 'lti-sub-107']);

    // Hal launches: the next sync issues to him too, and nothing twice.
    await launch(108);
    const again = await syncBinding(b, await gradeSourceForBinding(key, b, settings), deps);
    expect(again.newRequests).toBe(1);
    expect(await IssuanceRequest.countDocuments({ learnerId: 'lti-sub-108' })).toBe(1);
  });

  it('backs off and retries when Canvas throttles, and slows down when the quota runs low', async () => {
    const b = await binding();
    sim.throttleNext = 3;
    sim.quota = 60; // below the client's low watermark after a few requests
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b, settings), deps);
    expect(summary.status).toBe('ok');
    expect(await IssuanceRequest.countDocuments({ bindingId: String(b._id) })).toBe(3);
  });

  it('gives up on endless throttling with a problem, and issues nothing', async () => {
    const b = await binding();
    sim.throttleNext = 10_000;
    const summary = await syncBinding(
      b,
      await gradeSourceForBinding(key, b, { canvas: { ...settings.canvas, maxRetries: 2 } }),
      deps,
    );
    expect(summary.status).toBe('partial');
    expect(summary.problems.join('\n')).toMatch(/kept throttling/);
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('a token without "view all grades": test connection names the permission, sync refuses to issue', async () => {
    sim.deny(TOKEN, 'view_all_grades');
    const report = await testLmsConnection(key, PLATFORM, '8801', settings);
    expect(report?.ok).toBe(false);
    expect(report?.missing).toEqual([
      'Grades - view all grades',
      'Grades - view all grades (module progress of students)',
    ]);
    expect(report?.checks.find((c) => c.check === 'Submissions')?.detail).toMatch(
      /lacks the Canvas permission "Grades - view all grades" \(Canvas answered 403: user not authorized/,
    );
    const b = await binding();
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b, settings), deps);
    expect(summary.status).toBe('partial');
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('answers 401 and 404 in plain words', async () => {
    expect(await testLmsConnection(key, PLATFORM, '8801', settings)).toMatchObject({ ok: true, missing: [] });
    const missingCourse = await testLmsConnection(key, PLATFORM, '9999', settings);
    expect(missingCourse?.checks.find((c) => c.check === 'Course')?.detail).toMatch(
      /does not know this course/,
    );

    await saveLmsConnection(key, PLATFORM, { kind: 'canvas', baseUrl: sim.url, token: 'expired-token-0000' });
    const report = await testLmsConnection(key, PLATFORM, '8801', settings);
    expect(report?.checks[0]).toMatchObject({ check: 'Token', ok: false });
    expect(report?.checks[0]?.detail).toMatch(/does not accept the token/);
    const b = await binding();
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b, settings), deps);
    expect(summary.status).toBe('partial');
    expect(await IssuanceRequest.countDocuments({})).toBe(0);
  });

  it('without a launch carrying canvas_course_id the source says so and issues nothing', async () => {
    await LmsCourseLink.deleteMany({});
    const b = await binding();
    const summary = await syncBinding(b, await gradeSourceForBinding(key, b, settings), deps);
    expect(summary.status).toBe('partial');
    expect(summary.problems[0]).toMatch(/canvas_course_id/);
  });
});
