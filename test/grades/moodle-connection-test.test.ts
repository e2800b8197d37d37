import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { LmsConnection } from '../../src/grades/lms-connection-model.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { configureOutbound } from '../../src/net/outbound.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { gradeSourceApp } from '../helpers/grade-source-app.js';
import type { MoodleSimCourse, MoodleWsSimulator } from '../simulator/moodle-ws.js';

/**
 * The connection test's diagnosis of each way Moodle 4.5 refuses a token, through the admin API
 * (POST /api/admin/lti/platforms/:id/lms-connection/test) against the simulator answering as Moodle does.
 */
const config = testConfig();
configureOutbound({ allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS });
const ADMIN = 'c'.repeat(40);
const TOKEN = 'moodle-token-diagnosis-1';
let sim: MoodleWsSimulator;
let app: express.Express;
let platformId: string;
let html: Server;
let htmlUrl: string;
let closedUrl: string;

interface Report {
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string }[];
  missing: string[];
}

const path = () => `/api/admin/lti/platforms/${platformId}/lms-connection`;
const admin = (req: request.Test) => req.set('authorization', `Bearer ${ADMIN}`);

async function connect(baseUrl = sim.url, token = TOKEN) {
  await admin(request(app).put(path())).send({ kind: 'moodle', baseUrl, token }).expect(200);
}

async function runTest(): Promise<Report> {
  const res = await admin(request(app).post(`${path()}/test`))
    .send({ courseId: '2' })
    .expect(200);
  return res.body as Report;
}

const failed = (report: Report) =>
  report.checks
    .filter((c) => !c.ok)
    .map((c) => `${c.check}: ${c.detail}`)
    .join('\n');

beforeAll(async () => {
  await connectDatabase(config.MONGODB_URI, silentLogger());
  let course: MoodleSimCourse;
  ({ sim, course, app, platformId } = await gradeSourceApp(ADMIN, {
    clientId: 'client-diagnosis',
    issuerPath: '/diagnosis',
  }));
  course.users.set(3, {
    id: 3,
    firstname: 'Terry',
    lastname: 'Teacher',
    email: 't@example.com',
    role: 'editingteacher',
  });

  // A site that is not Moodle (a login page answering every path), and a port nothing listens on.
  const other = express();
  other.use((_req, res) => {
    res.type('html').send('<!doctype html><title>Log in</title>');
  });
  html = await new Promise<Server>((resolve) => {
    const s = other.listen(0, '127.0.0.1', () => resolve(s));
  });
  htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
  const closed = await new Promise<Server>((resolve) => {
    const s = express().listen(0, '127.0.0.1', () => resolve(s));
  });
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

afterAll(async () => {
  await sim.stop();
  html.closeAllConnections();
  await new Promise<void>((resolve) => html.close(() => resolve()));
  await LmsConnection.deleteMany({ platformId });
  await LtiPlatform.deleteOne({ _id: platformId });
  await disconnectDatabase();
});

beforeEach(async () => {
  sim.tokens.clear();
  sim.disabledFunctions.clear();
  sim.restEnabled = true;
  sim.maintenance = false;
  sim.developerDebug = false;
  sim.addToken(TOKEN);
  await connect();
});

describe('Moodle connection test: what Moodle said, what it means, what to change', () => {
  it('passes with what docs/grade-sources.md tells admins to grant', async () => {
    const report = await runTest();
    expect(failed(report)).toBe('');
    expect(report).toMatchObject({ ok: true, missing: [] });
  });

  it('without webservice/rest:use, names it (not a function missing from the service) and lists it as missing', async () => {
    sim.dropCapability(TOKEN, 'webservice/rest:use');
    const report = await runTest();
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual(['webservice/rest:use']);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ check: 'Token', ok: false });
    const detail = report.checks[0]!.detail;
    expect(detail).toMatch(/the token's user lacks webservice\/rest:use/);
    expect(detail).toMatch(/Site administration > Users > Permissions > Define roles/);
    expect(detail).toMatch(/system level/);
    expect(detail).not.toMatch(/not in the token's/);
    // The admin API shows the last test's missing capability too.
    const view = await admin(request(app).get(path())).expect(200);
    expect(view.body.lastTest).toMatchObject({ ok: false, missing: ['webservice/rest:use'] });
  });

  it('without webservice/rest:use on a site with debugging on, reads the reason from Moodle', async () => {
    sim.developerDebug = true;
    sim.dropCapability(TOKEN, 'webservice/rest:use');
    const report = await runTest();
    expect(report.missing).toEqual(['webservice/rest:use']);
    expect(report.checks[0]?.detail).toMatch(/lacks webservice\/rest:use/);
    expect(report.checks[0]?.detail).not.toMatch(/IP restriction/);
  });

  it('tells a function left out of the service from a user who may not use REST', async () => {
    sim.disabledFunctions.add('core_completion_get_activities_completion_status');
    sim.disabledFunctions.add('report_competency_data_for_report'); // not called: no competency is mapped
    const report = await runTest();
    expect(report).toMatchObject({ ok: false, missing: [] });
    const checks = Object.fromEntries(report.checks.map((c) => [c.check, c]));
    expect(checks.Token?.ok).toBe(true);
    expect(checks['Service functions']?.detail).toMatch(
      /^core_completion_get_activities_completion_status, report_competency_data_for_report are not in the token's external service: add them .*Site administration > Server > Web services > External services/,
    );
    expect(checks['Activity completion']).toMatchObject({ ok: false });
    expect(checks['Activity completion']?.detail).toMatch(
      /^core_completion_get_activities_completion_status is not in the token's external service/,
    );
    expect(checks.Grades?.ok).toBe(true);
  });

  it('with get_site_info alone left out of the service, says so and still checks the rest', async () => {
    sim.disabledFunctions.add('core_webservice_get_site_info');
    const report = await runTest();
    expect(report.missing).toEqual([]);
    expect(report.checks[0]).toMatchObject({ check: 'Token', ok: false });
    expect(report.checks[0]?.detail).toMatch(
      /^core_webservice_get_site_info is not in the token's external service/,
    );
    expect(report.checks.filter((c) => !c.ok)).toHaveLength(1);
    expect(report.checks.find((c) => c.check === 'Grades')?.ok).toBe(true);
  });

  it('an unknown token: create a new one', async () => {
    await connect(sim.url, 'mistyped-token-0000');
    const report = await runTest();
    expect(report).toMatchObject({ ok: false, missing: [] });
    expect(report.checks).toEqual([
      {
        check: 'Token',
        ok: false,
        detail: expect.stringMatching(/does not know this token.*Manage tokens/),
      },
    ]);
  });

  it('an expired token: Moodle refuses it once and deletes it; the test says it expired', async () => {
    sim.tokens.get(TOKEN)!.expired = true;
    const first = await runTest();
    expect(first.checks).toEqual([
      { check: 'Token', ok: false, detail: expect.stringMatching(/The token has expired.*Manage tokens/) },
    ]);
    expect(first.missing).toEqual([]);
    expect(sim.tokens.has(TOKEN)).toBe(false);
    const again = await runTest();
    expect(again.checks[0]?.detail).toMatch(/does not know this token/);
  });

  it('an IP restriction that leaves this server out', async () => {
    sim.developerDebug = true;
    sim.tokens.get(TOKEN)!.ipRestricted = true;
    const report = await runTest();
    expect(report).toMatchObject({ ok: false, missing: [] });
    expect(report.checks[0]?.detail).toMatch(/token's IP restriction does not include it.*Manage tokens/);
  });

  it.each([
    ['suspended', /the account is suspended\. Unsuspend it .*Browse list of users/],
    ['unconfirmed', /the account is not confirmed\. Confirm it/],
    ['nologin', /authentication method is "No login"\. Set it to "Manual accounts"/],
    ['passwordexpired', /its password has expired/],
    ['deleted', /the account is deleted/],
  ] as const)('a %s account: Moodle refuses the user before any function', async (account, text) => {
    sim.tokens.get(TOKEN)!.account = account;
    const report = await runTest();
    expect(report).toMatchObject({ ok: false, missing: [] });
    expect(report.checks).toEqual([{ check: 'Token', ok: false, detail: expect.stringMatching(text) }]);
  });

  it('maintenance mode', async () => {
    sim.maintenance = true;
    const report = await runTest();
    expect(report.checks[0]?.detail).toMatch(/maintenance mode/);
  });

  it('a capability the function checks: nopermissions names it', async () => {
    sim.dropCapability(TOKEN, 'report/progress:view');
    const report = await runTest();
    expect(report.missing).toEqual(['report/progress:view']);
    expect(failed(report)).toMatch(
      /core_completion_get_activities_completion_status: the web service user lacks the capability report\/progress:view .*Define roles/,
    );
  });

  it('without moodle/user:viewdetails the roster leaves learners out: names it', async () => {
    sim.dropCapability(TOKEN, 'moodle/user:viewdetails');
    const report = await runTest();
    expect(report.missing).toEqual(['moodle/user:viewdetails']);
    expect(failed(report)).toMatch(/Participants: .*lacks moodle\/user:viewdetails/);
  });

  it('without moodle/site:viewuseridentity there are no e-mail addresses: says it needs it, without failing', async () => {
    sim.dropCapability(TOKEN, 'moodle/site:viewuseridentity');
    const report = await runTest();
    expect(report).toMatchObject({ ok: true, missing: ['moodle/site:viewuseridentity'] });
    expect(report.checks.find((c) => c.check === 'Participants' && /e-mail/.test(c.detail))?.detail).toMatch(
      /grant moodle\/site:viewuseridentity/,
    );
  });

  it('web services or REST off: Moodle answers 403; the test names both settings', async () => {
    sim.restEnabled = false;
    const report = await runTest();
    expect(report.checks).toEqual([
      {
        check: 'Token',
        ok: false,
        detail: expect.stringMatching(/HTTP 403.*General > Advanced features.*Manage protocols/),
      },
    ]);
  });

  it.each([
    ['a base URL that is not the site root (404)', () => `${sim.url}/moodle`, /HTTP 404.*site root/],
    ['a site that is not Moodle (HTML)', () => htmlUrl, /not Moodle web service JSON.*site root/],
    ['a site that cannot be reached', () => closedUrl, /could not be reached: check the base URL/],
  ])('%s', async (_what, baseUrl, text) => {
    await connect(baseUrl());
    const report = await runTest();
    expect(report.checks).toEqual([{ check: 'Token', ok: false, detail: expect.stringMatching(text) }]);
  });
});
