import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LaunchSession, SESSION_COOKIES } from '../../src/web/sessions.js';
import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { LmsConnection } from '../../src/grades/lms-connection-model.js';
import { LtiCourse } from '../../src/lti/models.js';
import { hashToken } from '../../src/web/cookies.js';
import { configureOutbound } from '../../src/net/outbound.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { gradeSourceApp } from '../helpers/grade-source-app.js';
import type { MoodleWsSimulator } from '../simulator/moodle-ws.js';

/** The admin API for LMS connections and the instructor's options listing, over HTTP. */
const config = testConfig();
// The clients are used without createLti, which would apply this: the simulator is on 127.0.0.1.
configureOutbound({ allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS });
const ADMIN = 'b'.repeat(40);
const TOKEN = 'moodle-token-routes-123';
let sim: MoodleWsSimulator;
let app: express.Express;
let platformId: string;
let courseId: string;
const sessions: Record<string, string> = {};

async function session(role: 'instructor' | 'learner', course = courseId) {
  const token = randomBytes(24).toString('base64url');
  await LaunchSession.create({
    tokenHash: hashToken(token),
    institutionId: 'grades-u',
    platformId,
    deploymentId: '1',
    courseId: course,
    userId: role === 'learner' ? '4' : '3',
    role,
    csrfToken: 'x'.repeat(20),
    expiresAt: new Date(Date.now() + 60_000),
  });
  return `${SESSION_COOKIES.launch}=${token}`;
}

beforeAll(async () => {
  await connectDatabase(config.MONGODB_URI, silentLogger());
  ({ sim, app, platformId } = await gradeSourceApp(ADMIN, { clientId: 'client-1' }));
  sim.addToken(TOKEN);
  const course = await LtiCourse.create({ platformId, deploymentId: '1', contextId: '2', title: 'LTI101' });
  courseId = String(course._id);
  const other = await LtiCourse.create({ platformId, deploymentId: '1', contextId: '3', title: 'Other' });
  sessions.instructor = await session('instructor');
  sessions.learner = await session('learner');
  sessions.otherCourse = await session('instructor', String(other._id));
});

afterAll(async () => {
  await sim.stop();
  await disconnectDatabase();
});

describe('LMS connection admin API and grade options', () => {
  const path = () => `/api/admin/lti/platforms/${platformId}/lms-connection`;

  it('refuses without the admin token and names the invalid field', async () => {
    await request(app).put(path()).send({}).expect(401);
    const res = await request(app)
      .put(path())
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ kind: 'moodle', baseUrl: 'ftp://x', token: TOKEN })
      .expect(400);
    expect(res.body.error.details).toEqual([{ path: 'baseUrl', message: 'must be an http(s) URL' }]);
    expect(res.body.error.message).toMatch(/baseUrl/);
  });

  it('stores the token encrypted and never returns it', async () => {
    const res = await request(app)
      .put(path())
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ kind: 'moodle', baseUrl: `${sim.url}/`, token: TOKEN })
      .expect(200);
    expect(res.body).toMatchObject({ kind: 'moodle', baseUrl: sim.url, tokenSet: true });
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    const stored = await LmsConnection.findOne({ platformId }).lean();
    expect(stored?.tokenEncrypted).toMatch(/^v2\.[0-9a-f]{16}\./);
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    const view = await request(app).get(path()).set('authorization', `Bearer ${ADMIN}`).expect(200);
    expect(JSON.stringify(view.body)).not.toContain(TOKEN);
  });

  it('runs test connection and names a missing capability', async () => {
    sim.dropCapability(TOKEN, 'mod/quiz:viewreports');
    const res = await request(app)
      .post(`${path()}/test`)
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ courseId: '2' })
      .expect(200);
    expect(res.body).toMatchObject({ ok: false, missing: ['mod/quiz:viewreports'] });
    sim.addToken(TOKEN);
    await request(app)
      .post(`${path()}/test`)
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ courseId: 'x' })
      .expect(400);
    const view = await request(app).get(path()).set('authorization', `Bearer ${ADMIN}`).expect(200);
    expect(view.body.lastTest).toMatchObject({ ok: false, missing: ['mod/quiz:viewreports'] });
  });

  it('lists what the course offers to an instructor of that course only', async () => {
    const res = await request(app)
      .get(`/lti/api/courses/${courseId}/grade-options`)
      .set('cookie', sessions.instructor!)
      .expect(200);
    expect(res.body.source).toBe('moodle');
    expect(res.body.problems).toEqual([]);
    expect(res.body.options).toEqual(
      expect.arrayContaining([
        { kind: 'assessment', id: 'grade:8', name: 'Check quiz', max: 10, passMark: 5 },
        { kind: 'competency', id: 'competency:2', name: 'Pass the quiz' },
      ]),
    );
    await request(app)
      .get(`/lti/api/courses/${courseId}/grade-options`)
      .set('cookie', sessions.learner!)
      .expect(403);
    await request(app)
      .get(`/lti/api/courses/${courseId}/grade-options`)
      .set('cookie', sessions.otherCourse!)
      .expect(403);
    await request(app).get(`/lti/api/courses/${courseId}/grade-options`).expect(401);
  });
});
