import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LaunchSession } from '../../src/web/sessions.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { decodeJwt, generateKeyPair, UnsecuredJWT } from 'jose';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { createLti, ltiRouter } from '../../src/lti/index.js';
import { AgsClient } from '../../src/lti/ags.js';
import { NrpsClient } from '../../src/lti/nrps.js';
import { ServiceClient } from '../../src/lti/service-client.js';
import type { LtiDeps } from '../../src/lti/deps.js';
import { LtiCourse, LtiLoginState, LtiPlatform, LtiResourceLink, LtiToolKey } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { registrationRequest } from '../../src/lti/dynamic-registration.js';
import { createRegistrationLink, registrationUrl } from '../../src/lti/registration-links.js';
import { Institution } from '../../src/institutions/institution-model.js';
import { errorHandler, notFound } from '../../src/web/errors.js';
import { rejectOperatorInjection } from '../../src/web/operator-guard.js';
import { silentLogger, testConfig } from '../helpers/env.js';
import { Browser, readForm, type Page } from '../simulator/browser.js';
import { PlatformSimulator } from '../simulator/platform.js';
import { deepLinkPickerRouter } from '../../src/ui/deep-link-routes.js';
import { instructorScreensRouter } from '../../src/ui/instructor-routes.js';
import { learnerScreensRouter } from '../../src/ui/learner-routes.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';

/** The LTI tool against the platform simulator, both real HTTP servers, on a private database. */
const ADMIN_TOKEN = 'a'.repeat(40);
const INSTITUTION = 'lti-university';
let sim: PlatformSimulator;
let other: PlatformSimulator;
let server: Server;
let toolUrl: string;
let deps: LtiDeps;
let clientId: string;
let otherClientId: string;

const templates = [
  { id: 'tpl-1', name: 'Data Literacy <Basics>', description: 'EQF 5, 2 ECTS' },
  { id: 'tpl-2', name: 'Statistics' },
];

async function startTool(): Promise<void> {
  const holder: { app?: express.Express } = {};
  server = createServer((req, res) => holder.app!(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  toolUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({
    PUBLIC_URL: toolUrl,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_TOKEN: ADMIN_TOKEN,
  });
  await connectDatabase(config.MONGODB_URI, silentLogger());
  deps = createLti({
    config,
    logger: silentLogger(),
    templates: { listPublishedTemplates: async () => templates },
    jwks: { cooldownMs: 0 },
  });
  const app = express();
  app.use(express.json());
  app.use(rejectOperatorInjection);
  // As the composition root (src/web/app.ts) mounts them: the screens behind the launch session.
  app.use(
    ltiRouter(
      deps,
      deepLinkPickerRouter(deps),
      instructorScreensRouter(deps),
      learnerScreensRouter(config, parseEncryptionKey(config.KEY_ENCRYPTION_KEY!)),
    ),
  );
  app.use(notFound);
  app.use(errorHandler(silentLogger()));
  holder.app = app;
}

/** Dynamic registration through a fresh registration link of the institution, as its administrator makes one. */
async function register(platform: PlatformSimulator, token?: string): Promise<Page> {
  const link = registrationUrl(toolUrl, (await createRegistrationLink(INSTITUTION, 'admin:test')).token);
  return new Browser().get(await platform.registrationUrl(link, token));
}

/** Login through the tool and the platform's auth endpoint, up to the auto-post form carrying the id_token. */
async function loginForm(
  browser: Browser,
  platform: PlatformSimulator,
  client: string,
  userId: string,
  courseId: string,
  messageType?: string,
) {
  const { url, params } = platform.loginRequest(client, userId, courseId, messageType);
  const page = await browser.get(`${url}?${new URLSearchParams(params)}`);
  expect(page.url.startsWith(platform.authUrl)).toBe(true);
  return readForm(page);
}

async function launch(
  platform: PlatformSimulator,
  client: string,
  userId: string,
  courseId: string,
  messageType?: string,
) {
  const browser = new Browser();
  const form = await loginForm(browser, platform, client, userId, courseId, messageType);
  const page = await browser.post(form.action, form.fields);
  return { browser, page };
}

async function counts() {
  return {
    sessions: await LaunchSession.countDocuments(),
    courses: await LtiCourse.countDocuments(),
    links: await LtiResourceLink.countDocuments(),
    platforms: await LtiPlatform.countDocuments(),
  };
}

beforeAll(async () => {
  await startTool();
  await Institution.create({ _id: INSTITUTION, name: 'LTI University' });
  sim = await new PlatformSimulator().start();
  other = await new PlatformSimulator().start();
  for (const s of [sim, other]) {
    s.addUser('3', 'Terry Teacher');
    s.addUser('4', 'Sam Student');
    s.addUser('5', 'Sasha Student');
    s.addUser('6', 'Olga Teacher');
    s.addCourse('2', 'LTI Test Course', 'LTI101');
    s.enrol('2', '3', 'Instructor');
    s.enrol('2', '4', 'Learner');
    s.enrol('2', '5', 'Learner');
    s.addCourse('3', 'Other Course', 'OTHER');
    s.enrol('3', '6', 'Instructor');
  }
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await other?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await disconnectDatabase();
});

describe('dynamic registration', () => {
  it('refuses a bad registration token and stores nothing', async () => {
    const page = await register(sim, 'not-a-token');
    expect(page.status).toBe(502);
    expect(page.body).toContain('registration_config_refused');
    expect(await LtiPlatform.countDocuments()).toBe(0);
    expect(sim.tools.size).toBe(0);
  });

  it('registers end to end; the tool is Pending in the LMS until activated', async () => {
    const page = await register(sim);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Credbridge is registered');
    expect(page.body).toContain('org.imsglobal.lti.close');
    expect(page.body).toContain('Pending');
    const platform = await LtiPlatform.findOne({ issuer: sim.issuer });
    const tool = [...sim.tools.values()][0]!;
    clientId = tool.clientId;
    expect(platform).toMatchObject({
      clientId,
      deploymentIds: [tool.deploymentId],
      status: 'active',
      registeredBy: 'dynamic',
      productFamily: 'moodle',
    });
    expect(tool.status).toBe('pending');
    expect(tool.scopes).toEqual(
      expect.arrayContaining([
        'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
        'https://purl.imsglobal.org/spec/lti-ags/scope/score',
      ]),
    );
    // Pending: the platform refuses the login until an admin activates the tool.
    const { url, params } = sim.loginRequest(clientId, '3', '2');
    const refused = await new Browser().get(`${url}?${new URLSearchParams(params)}`);
    expect(refused.body).toContain('Pending');
    sim.activateTool(clientId);
  });

  it('registering the same tool URL again updates the existing registration', async () => {
    const page = await register(sim);
    expect(page.body).toContain('Credbridge registration updated');
    expect(await LtiPlatform.countDocuments({ issuer: sim.issuer })).toBe(1);
    expect(sim.tools.size).toBe(1);
  });

  it('registers a second platform apart from the first', async () => {
    await register(other);
    otherClientId = [...other.tools.values()][0]!.clientId;
    other.activateTool(otherClientId);
    expect(await LtiPlatform.countDocuments()).toBe(2);
  });
});

describe('launch', () => {
  it('lands an instructor on the course dashboard, with course and link captured', async () => {
    const { page } = await launch(sim, clientId, '3', '2');
    expect(page.status).toBe(200);
    expect(page.url).toMatch(/\/lti\/courses\/[0-9a-f]{24}$/);
    expect(page.body).toContain('Credentials for LTI Test Course');
    expect(page.headers.get('content-security-policy')).toContain(`frame-ancestors 'self' ${sim.url}`);
    const course = await LtiCourse.findOne({ contextId: '2' });
    expect(course?.membershipsUrl).toContain('/memberships');
    expect(await LtiResourceLink.countDocuments({ courseId: course!._id, resourceLinkId: '1' })).toBe(1);
  });

  it('lands a learner on their credentials', async () => {
    const { page } = await launch(sim, clientId, '4', '2');
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${toolUrl}/lti/me/credentials`);
    expect(page.body).toContain('My credentials');
  });

  it('escapes what the platform sends', async () => {
    sim.addCourse('9', '<script>alert(1)</script>');
    sim.enrol('9', '3', 'Instructor');
    const { page } = await launch(sim, clientId, '3', '9');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('accepts a token signed with a rotated platform key (JWKS refetched on unknown kid)', async () => {
    await sim.rotateKey();
    const { page } = await launch(sim, clientId, '4', '2');
    expect(page.status).toBe(200);
  });
});

describe('bad launches are refused and store nothing', () => {
  /** Runs a login, lets `tamper` change the id_token claims (re-signed unless it returns a token), posts it. */
  async function badLaunch(
    tamper: (claims: Record<string, unknown>) => Promise<string | Record<string, unknown>>,
    options: { dropCookie?: boolean; state?: string } = {},
  ): Promise<Page> {
    const browser = new Browser();
    const form = await loginForm(browser, sim, clientId, '3', '2');
    const claims = decodeJwt(form.fields.id_token!) as Record<string, unknown>;
    const changed = await tamper({ ...claims });
    const idToken = typeof changed === 'string' ? changed : await sim.sign(changed);
    if (options.dropCookie) browser.cookies.clear();
    const before = await counts();
    const page = await browser.post(form.action, {
      id_token: idToken,
      state: options.state ?? form.fields.state!,
    });
    expect(await counts()).toEqual(before);
    return page;
  }

  const cases: [string, number, string, Parameters<typeof badLaunch>[0], Parameters<typeof badLaunch>[1]?][] =
    [
      [
        'forged signature',
        401,
        'bad_signature',
        async (c) => {
          const { privateKey } = await generateKeyPair('RS256');
          return sim.sign(c, { key: privateKey });
        },
      ],
      ['alg none', 401, 'alg_not_allowed', async (c) => new UnsecuredJWT(c).encode()],
      ['wrong kid', 401, 'unknown_kid', async (c) => sim.sign(c, { kid: 'no-such-kid' })],
      ['wrong iss', 401, 'iss_mismatch', async (c) => ({ ...c, iss: 'https://evil.example' })],
      ['wrong aud', 401, 'aud_mismatch', async (c) => ({ ...c, aud: 'someone-else' })],
      ['azp of another client', 401, 'azp_mismatch', async (c) => ({ ...c, aud: [clientId, 'x'], azp: 'x' })],
      [
        'expired',
        401,
        'token_expired',
        async (c) => ({
          ...c,
          iat: Math.floor(Date.now() / 1000) - 600,
          exp: Math.floor(Date.now() / 1000) - 300,
        }),
      ],
      ['nonce not issued by this login', 401, 'nonce_mismatch', async (c) => ({ ...c, nonce: 'other' })],
      [
        'unknown deployment',
        403,
        'unknown_deployment',
        async (c) => ({ ...c, 'https://purl.imsglobal.org/spec/lti/claim/deployment_id': '999' }),
      ],
      ['missing state cookie', 401, 'state_mismatch', async (c) => c, { dropCookie: true }],
      ['state mismatch', 401, 'state_mismatch', async (c) => c, { state: 'forged-state' }],
    ];

  for (const [name, status, code, tamper, options] of cases) {
    it(`refuses ${name}`, async () => {
      const page = await badLaunch(tamper, options);
      expect(page.status).toBe(status);
      expect(page.body).toContain(code);
    });
  }

  it('refuses a replayed id_token (nonce and state are single-use)', async () => {
    const browser = new Browser();
    const form = await loginForm(browser, sim, clientId, '3', '2');
    const cookies = new Map(browser.cookies);
    expect((await browser.post(form.action, form.fields)).status).toBe(200);
    for (const [k, v] of cookies) browser.cookies.set(k, v);
    const before = await counts();
    const replay = await browser.post(form.action, form.fields);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('state_unknown');
    expect(await counts()).toEqual(before);
  });

  it('refuses a login for an unknown deployment before anything is stored', async () => {
    const { url, params } = sim.loginRequest(clientId, '3', '2');
    const states = await LtiLoginState.countDocuments();
    const page = await new Browser().get(
      `${url}?${new URLSearchParams({ ...params, lti_deployment_id: '999' })}`,
    );
    expect(page.status).toBe(403);
    expect(page.body).toContain('unknown_deployment');
    expect(await LtiLoginState.countDocuments()).toBe(states);
  });
});

describe('deep linking', () => {
  it('offers no grade column where the LMS takes none with the link, as Moodle 4.5', async () => {
    const { page } = await launch(sim, clientId, '3', '2', 'LtiDeepLinkingRequest');
    expect(page.body).toContain('Add a credential to this course');
    expect(page.body).not.toContain('name="lineItem"');
  });

  it('returns a signed LtiDeepLinkingResponse the platform verifies', async () => {
    sim.acceptLineItem = true; // a platform that creates the line item with the link (Canvas does)
    const { browser, page } = await launch(sim, clientId, '3', '2', 'LtiDeepLinkingRequest');
    sim.acceptLineItem = false;
    expect(page.url).toBe(`${toolUrl}/lti/deep-link`);
    expect(page.body).toContain('Data Literacy &lt;Basics&gt;');
    expect(page.body).toContain('name="lineItem"');
    const response = await browser.submitForm(page, { templateId: 'tpl-2', action: 'add' });
    const back = readForm(response);
    expect(back.action.startsWith(`${sim.url}/mod/lti/contentitem_return.php`)).toBe(true);
    const done = await browser.post(back.action, back.fields);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Content added');
    const claims = sim.deepLinkReturns.at(-1)!.claims;
    expect(claims['https://purl.imsglobal.org/spec/lti-dl/claim/data']).toBe('sim-data-2');
    expect(claims['https://purl.imsglobal.org/spec/lti-dl/claim/content_items']).toEqual([
      expect.objectContaining({
        type: 'ltiResourceLink',
        title: 'Statistics',
        custom: { credbridge_template_id: 'tpl-2' },
        lineItem: expect.objectContaining({ scoreMaximum: 100 }),
      }),
    ]);
    // The selection is single-use.
    const again = await browser.submitForm(page, { templateId: 'tpl-2' });
    expect(again.status).toBe(400);
  });

  it('keeps verifying after the tool rotates its key', async () => {
    await deps.toolKeys.rotate(INSTITUTION);
    expect((await deps.toolKeys.jwks(INSTITUTION)).keys).toHaveLength(2);
    // Another scope's keys are apart: rotating the institution's left the installation's alone.
    expect((await deps.toolKeys.jwks('installation')).keys).toHaveLength(1);
    const published = (await (await fetch(`${toolUrl}/lti/jwks/${INSTITUTION}`)).json()) as {
      keys: unknown[];
    };
    expect(published.keys).toHaveLength(2);
    expect((await fetch(`${toolUrl}/lti/jwks/nowhere`)).status).toBe(404);
    expect(await LtiToolKey.countDocuments({ privateKeyEncrypted: /BEGIN/ })).toBe(0);
    const { browser, page } = await launch(sim, clientId, '3', '2', 'LtiDeepLinkingRequest');
    const back = readForm(await browser.submitForm(page, { templateId: 'tpl-1' }));
    expect((await browser.post(back.action, back.fields)).status).toBe(200);
  });

  it('refuses a forged CSRF token and a learner', async () => {
    const { browser, page } = await launch(sim, clientId, '3', '2', 'LtiDeepLinkingRequest');
    const bad = await browser.submitForm(page, { csrf: 'x'.repeat(43) });
    expect(bad.status).toBe(403);
    const learner = await launch(sim, clientId, '4', '2', 'LtiDeepLinkingRequest');
    expect(learner.page.status).toBe(403);
  });
});

describe('AGS and NRPS clients', () => {
  let client: ServiceClient;
  beforeAll(async () => {
    sim.addCourse('50', 'Big Course');
    sim.enrol('50', '3', 'Instructor');
    for (let i = 0; i < 5000; i++) sim.enrol('50', String(10_000 + i), 'Learner');
    for (let i = 0; i < 200; i++)
      sim.addLineItem('50', `Item ${i}`, { clientId, tag: i % 2 ? 'odd' : 'even' });
    sim.addLineItem('50', 'Gradebook only'); // not the tool's: invisible
    const platform = await LtiPlatform.findOne({ issuer: sim.issuer });
    client = new ServiceClient(platform!, deps.serviceTokens);
  });
  const tool = () => sim.tool(clientId);
  const services = () => `${sim.url}/mod/lti/services.php`;

  it('pages through 5,000 members with Moodle short role names', async () => {
    const members = await new NrpsClient(client).listMembers(
      `${services()}/CourseSection/50/bindings/${tool().typeId}/memberships`,
      { limit: 500 },
    );
    expect(members).toHaveLength(5001);
    expect(new Set(members.map((m) => m.user_id)).size).toBe(5001);
    expect(members.filter((m) => m.appRole === 'learner')).toHaveLength(5000);
    expect(members.find((m) => m.user_id === '3')).toMatchObject({
      roles: ['Instructor'],
      appRole: 'instructor',
    });
  });

  it('pages through 200 line items, only its own', async () => {
    const items = await new AgsClient(client).listLineItems(
      `${services()}/50/lineitems?type_id=${tool().typeId}`,
      { limit: 30 },
    );
    expect(items).toHaveLength(200);
    expect(items.some((i) => i.label === 'Gradebook only')).toBe(false);
  });

  it('creates a line item, posts a score, reads results; refuses what Moodle refuses', async () => {
    const ags = new AgsClient(client);
    const item = await ags.createLineItem(`${services()}/2/lineitems?type_id=${tool().typeId}`, {
      label: 'Credential',
      scoreMaximum: 10,
      tag: 'credbridge',
    });
    expect(item.id).toContain('/lineitem?type_id=');
    await ags.postScore(item.id!, {
      userId: '4',
      scoreGiven: 8,
      scoreMaximum: 10,
      timestamp: new Date().toISOString(),
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
    });
    expect(await ags.listResults(item.id!)).toEqual([
      expect.objectContaining({ userId: '4', resultScore: 8 }),
    ]);
    await expect(
      ags.postScore(item.id!, {
        userId: '3',
        scoreGiven: 1,
        timestamp: new Date().toISOString(),
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
      }),
    ).rejects.toMatchObject({ status: 400, reason: 'Incorrect score received' });
    const foreign = sim.addLineItem('2', 'Quiz');
    await expect(
      ags.getLineItem(`${services()}/2/lineitems/${foreign.id}/lineitem?type_id=${tool().typeId}`),
    ).rejects.toMatchObject({ status: 404, reason: 'Line item does not exist' });
  });

  it('caches access tokens and gets a new one after a 401', async () => {
    const ags = new AgsClient(client);
    const url = `${services()}/2/lineitems?type_id=${tool().typeId}`;
    await ags.listLineItems(url);
    const requests = sim.tokenRequests;
    await ags.listLineItems(url);
    expect(sim.tokenRequests).toBe(requests);
    sim.accessTokens.clear();
    await ags.listLineItems(url);
    expect(sim.tokenRequests).toBe(requests + 1);
  });
});

describe('isolation between courses and platforms', () => {
  async function sessionFor(platform: PlatformSimulator, client: string, userId: string, courseId: string) {
    const { browser, page } = await launch(platform, client, userId, courseId);
    const courseUrlId = /\/lti\/courses\/([0-9a-f]{24})/.exec(page.url)?.[1];
    const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1];
    return { browser, courseUrlId, csrf };
  }
  const api = (b: Browser, path: string, init: RequestInit = {}) =>
    fetch(`${toolUrl}${path}`, {
      ...init,
      headers: {
        ...(init.headers ?? {}),
        accept: 'application/json',
        cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });

  it('an instructor of course A reads and changes only course A', async () => {
    const a = await sessionFor(sim, clientId, '3', '2');
    const b = await sessionFor(sim, clientId, '6', '3');
    const p2 = await sessionFor(other, otherClientId, '3', '2');
    expect(a.courseUrlId && b.courseUrlId && p2.courseUrlId).toBeTruthy();
    expect(p2.courseUrlId).not.toBe(a.courseUrlId);

    expect((await api(a.browser, `/lti/api/courses/${a.courseUrlId}`)).status).toBe(200);
    const members = (await (await api(a.browser, `/lti/api/courses/${a.courseUrlId}/members`)).json()) as {
      members: { user_id: string }[];
    };
    expect(members.members.map((m: { user_id: string }) => m.user_id).sort()).toEqual(['3', '4', '5']);

    for (const target of [b.courseUrlId, p2.courseUrlId]) {
      for (const path of [
        `/lti/courses/${target}`,
        `/lti/api/courses/${target}`,
        `/lti/api/courses/${target}/members`,
        `/lti/api/courses/${target}/line-items`,
      ]) {
        const res = await api(a.browser, path);
        expect(res.status).toBe(403);
      }
      const write = await api(a.browser, `/lti/api/courses/${target}/line-items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': a.csrf! },
        body: JSON.stringify({ label: 'x', scoreMaximum: 1 }),
      });
      expect(write.status).toBe(403);
    }
    const created = await api(a.browser, `/lti/api/courses/${a.courseUrlId}/line-items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': a.csrf! },
      body: JSON.stringify({ label: 'Mine', scoreMaximum: 5 }),
    });
    expect(created.status).toBe(201);
    const noCsrf = await api(a.browser, `/lti/api/courses/${a.courseUrlId}/line-items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"label":"x","scoreMaximum":1}',
    });
    expect(noCsrf.status).toBe(403);
  });

  it('a learner cannot read the roster', async () => {
    const { browser } = await launch(sim, clientId, '4', '2');
    const course = await LtiCourse.findOne({
      contextId: '2',
      platformId: (await LtiPlatform.findOne({ issuer: sim.issuer }))!._id,
    });
    const res = await api(browser, `/lti/api/courses/${course!.id}/members`);
    expect(res.status).toBe(403);
  });
});

describe('manual registration and Canvas configuration', () => {
  it('adds a platform through the admin API and refuses without the token', async () => {
    const body = {
      issuer: 'https://canvas.instructure.com',
      clientId: '10000000000001',
      authLoginUrl: 'https://sso.canvaslms.com/api/lti/authorize_redirect',
      tokenUrl: 'https://sso.canvaslms.com/login/oauth2/token',
      jwksUrl: 'https://sso.canvaslms.com/api/lti/security/jwks',
      deploymentIds: ['1:abc'],
    };
    const denied = await fetch(`${toolUrl}/api/admin/lti/platforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(denied.status).toBe(401);
    const withoutInstitution = await fetch(`${toolUrl}/api/admin/lti/platforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify(body),
    });
    expect(withoutInstitution.status).toBe(400);
    expect(await withoutInstitution.text()).toContain('institutionId');
    const unknownInstitution = await fetch(`${toolUrl}/api/admin/lti/platforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ ...body, institutionId: 'nowhere' }),
    });
    expect(unknownInstitution.status).toBe(400);
    expect(((await unknownInstitution.json()) as { error: { message: string } }).error.message).toBe(
      'institutionId: no institution "nowhere"',
    );
    const res = await fetch(`${toolUrl}/api/admin/lti/platforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ ...body, institutionId: INSTITUTION }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      issuer: body.issuer,
      institutionId: INSTITUTION,
      status: 'active',
      registeredBy: 'manual',
    });
    await expect(registerPlatform(INSTITUTION, body)).rejects.toThrow('already registered');
    const invalid = await fetch(`${toolUrl}/api/admin/lti/platforms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ ...body, institutionId: INSTITUTION, jwksUrl: 'nope' }),
    });
    expect(invalid.status).toBe(400);
  });

  it('asks Canvas, when it registers dynamically, for what its developer-key JSON asks', () => {
    const config = {
      issuer: 'https://canvas.instructure.com',
      authorization_endpoint: 'https://sso.canvaslms.com/api/lti/authorize_redirect',
      token_endpoint: 'https://sso.canvaslms.com/login/oauth2/token',
      jwks_uri: 'https://sso.canvaslms.com/api/lti/security/jwks',
      registration_endpoint: 'https://school.instructure.com/api/lti/registrations',
      'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'canvas' },
    };
    const request = registrationRequest(toolUrl, config, INSTITUTION);
    // The institution's own keys, never the installation's.
    expect(request.jwks_uri).toBe(`${toolUrl}/lti/jwks/${INSTITUTION}`);
    const canvas = request['https://purl.imsglobal.org/spec/lti-tool-configuration'];
    expect(canvas).toMatchObject({
      custom_parameters: { canvas_user_id: '$Canvas.user.id', canvas_course_id: '$Canvas.course.id' },
      'https://canvas.instructure.com/lti/privacy_level': 'public',
      messages: [
        { type: 'LtiResourceLinkRequest', placements: ['course_navigation'] },
        { type: 'LtiDeepLinkingRequest', placements: ['link_selection', 'assignment_selection'] },
      ],
    });
    const moodle = registrationRequest(
      toolUrl,
      {
        ...config,
        'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'moodle' },
      },
      INSTITUTION,
    )['https://purl.imsglobal.org/spec/lti-tool-configuration'];
    expect(moodle).not.toHaveProperty('custom_parameters');
  });

  it('serves the Canvas developer-key JSON of an institution, with its keys and the custom fields', async () => {
    const without = await fetch(`${toolUrl}/lti/canvas.json`);
    expect(without.status).toBe(400);
    expect(((await without.json()) as { error: { message: string } }).error.message).toMatch(
      /^institution: /,
    );
    const json = (await (
      await fetch(`${toolUrl}/lti/canvas.json?institution=${INSTITUTION}`)
    ).json()) as Record<string, unknown>;
    expect(json.custom_fields).toEqual({
      canvas_user_id: '$Canvas.user.id',
      canvas_course_id: '$Canvas.course.id',
    });
    expect(json.oidc_initiation_url).toBe(`${toolUrl}/lti/login`);
    expect(json.public_jwk_url).toBe(`${toolUrl}/lti/jwks/${INSTITUTION}`);
  });
});
