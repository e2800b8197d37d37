import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { LtiCourse, LtiSession } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { hashToken, randomToken, SESSION_COOKIE } from '../../src/lti/session.js';
import { createApp } from '../../src/web/app.js';
import { silentLogger } from '../helpers/env.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';
import { listRoutes, type RouteEntry } from './routes.js';

/**
 * Every route of the app, found by walking express's router stack, tried with every identity. Each route
 * needs a rule below: a route added without one fails this test, so nobody ships an endpoint whose access
 * was never decided.
 *
 * - public: anyone (health, keys, DIDs, status lists, credential downloads by unguessable id, verify)
 * - publicForm: anyone, through the form the GET serves: a POST without that form's CSRF token is refused
 * - protocol: authenticates by the LTI protocol itself (registration token, OIDC login, signed id_token);
 *   test/lti/lti-flows.test.ts attacks those messages
 * - admin: the admin bearer token only
 * - staff: an instructor (or LMS admin) session launched from this very course of this platform
 * - member: any session launched from this course, learners included
 * - session: any LTI session (a learner's own page)
 * - deepLinking: a session started by a deep-linking launch
 * - link: the learner's signed link from the e-mail (HMAC token in the URL); nothing else opens it
 * - console: the admin console: a console login session (or an LTI session with the admin role); none here
 */
type Rule =
  | 'public'
  | 'publicForm'
  | 'protocol'
  | 'link'
  | 'admin'
  | 'staff'
  | 'member'
  | 'session'
  | 'deepLinking'
  | 'console';

const RULES: Record<string, Rule> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /lti/jwks': 'public',
  'GET /lti/canvas.json': 'public',
  'GET /.well-known/did.json': 'public',
  'GET /issuers/:id/did.json': 'public',
  'GET /status-lists/:id': 'public',
  'GET /credentials/:id/:format': 'public',
  'POST /credentials/verify': 'public',
  'GET /credentials/:id': 'public',
  'GET /credentials/:id/verification': 'public', // served by /:id/:format; the verify limit is mounted on it
  'GET /credentials/:id/files/:file': 'public',
  'GET /verify': 'public',
  'POST /verify': 'publicForm',
  'GET /my/credentials': 'link',
  'GET /admin/login': 'public',
  'POST /admin/login': 'publicForm',
  'POST /admin/logout': 'console',
  'GET /admin': 'console',
  'POST /admin/platforms': 'console',
  'POST /admin/platforms/:id/status': 'console',
  'POST /admin/platforms/:id/deployments': 'console',
  'GET /admin/issuers': 'console',
  'POST /admin/issuers/:id/rotate': 'console',
  'GET /admin/templates': 'console',
  'POST /admin/templates/check': 'console',
  'POST /admin/templates': 'console',
  'GET /admin/templates/:key/:version': 'console',
  'GET /admin/templates/:key/:version/export': 'console',
  'POST /admin/templates/:key/:version': 'console',
  'POST /admin/templates/:key/:version/:action': 'console',
  'GET /admin/audit': 'console',
  'GET /admin/queues': 'console',
  'POST /admin/queues/:name/retry': 'console',
  'GET /lti/register': 'protocol',
  'GET /lti/login': 'protocol',
  'POST /lti/login': 'protocol',
  'POST /lti/launch': 'protocol',
  'GET /lti/deep-link': 'deepLinking',
  'POST /lti/deep-link': 'deepLinking',
  'GET /api/admin/lti/platforms': 'admin',
  'POST /api/admin/lti/platforms': 'admin',
  'PATCH /api/admin/lti/platforms/:id': 'admin',
  'PUT /api/admin/lti/platforms/:id/lms-connection': 'admin',
  'GET /api/admin/lti/platforms/:id/lms-connection': 'admin',
  'DELETE /api/admin/lti/platforms/:id/lms-connection': 'admin',
  'POST /api/admin/lti/platforms/:id/lms-connection/test': 'admin',
  'POST /credentials/issue': 'admin',
  'POST /credentials/status': 'admin',
  'GET /lti/me/credentials': 'session',
  'GET /lti/api/courses/:courseId': 'member',
  'GET /lti/courses/:courseId': 'staff',
  'GET /lti/api/courses/:courseId/members': 'staff',
  'GET /lti/api/courses/:courseId/line-items': 'staff',
  'POST /lti/api/courses/:courseId/line-items': 'staff',
  'GET /lti/api/courses/:courseId/grade-options': 'staff',
  'GET /lti/api/courses/:courseId/bindings': 'staff',
  'POST /lti/api/courses/:courseId/bindings': 'staff',
  'PUT /lti/api/courses/:courseId/bindings/:bindingId': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/sync': 'staff',
  'GET /lti/api/courses/:courseId/bindings/:bindingId/progress': 'staff',
  'GET /lti/api/courses/:courseId/bindings/:bindingId/options': 'staff',
  'GET /lti/api/courses/:courseId/bindings/:bindingId/dry-run': 'staff',
  'GET /lti/api/courses/:courseId/bindings/:bindingId/requests': 'staff',
  'GET /lti/api/courses/:courseId/bindings/:bindingId/requests.csv': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/requests/:requestId/retry': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/requests/:requestId/reissue': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/requests/:requestId/status': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/awards': 'staff',
  'POST /lti/api/courses/:courseId/bindings/:bindingId/results': 'staff',
};

interface Identity {
  name: string;
  cookie?: string;
  csrf?: string;
  bearer?: string;
  /** Which course's URL the identity tries (its own, or the victim's). */
  course: 'A' | 'B' | 'C';
  /** Rules that let this identity through on course A's URLs. */
  passes: Rule[];
  /** Tried only on routes that name an object of a course (a binding). */
  objectsOnly?: boolean;
}

let tool: ToolUnderTest;
let routes: RouteEntry[];
const ids = { A: '', B: '', C: '', platform1: '', platform2: '', bindingA: '', bindingB: '' };
const identities: Identity[] = [];

async function session(
  platformId: string,
  courseId: string,
  role: 'admin' | 'instructor' | 'learner',
  deepLinking = false,
) {
  const token = randomToken();
  const csrf = randomToken();
  await LtiSession.create({
    tokenHash: hashToken(token),
    platformId,
    deploymentId: 'd1',
    courseId,
    userId: `${role}-${courseId}`,
    role,
    csrfToken: csrf,
    expiresAt: new Date(Date.now() + 3_600_000),
    ...(deepLinking
      ? { deepLinking: { returnUrl: 'https://lms.example/return', acceptTypes: ['ltiResourceLink'] } }
      : {}),
  });
  return { cookie: `${SESSION_COOKIE}=${token}`, csrf };
}

beforeAll(async () => {
  tool = await startTool();
  const platform = (issuer: string) =>
    registerPlatform({
      issuer,
      clientId: 'tool',
      authLoginUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      jwksUrl: `${issuer}/jwks`,
      deploymentIds: ['d1'],
    });
  const p1 = await platform('https://lms-one.example');
  const p2 = await platform('https://lms-two.example');
  ids.platform1 = String(p1._id);
  ids.platform2 = String(p2._id);
  const course = async (platformId: string, contextId: string) =>
    String((await LtiCourse.create({ platformId, deploymentId: 'd1', contextId, title: contextId }))._id);
  ids.A = await course(ids.platform1, 'A');
  ids.B = await course(ids.platform1, 'B');
  ids.C = await course(ids.platform2, 'C');
  const binding = async (courseId: string, platformId: string, contextId: string) =>
    String(
      (
        await CourseBinding.create({
          platformId,
          deploymentId: 'd1',
          contextId,
          courseId,
          templateId: 'tpl',
          templateVersion: 1,
          issuerId: 'issuer',
          rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
          source: { kind: 'manual' },
        })
      )._id,
    );
  ids.bindingA = await binding(ids.A, ids.platform1, 'A');
  ids.bindingB = await binding(ids.B, ids.platform1, 'B');

  identities.push(
    { name: 'nobody', course: 'A', passes: ['public'] },
    { name: 'admin token', bearer: ADMIN_TOKEN, course: 'A', passes: ['public', 'admin'] },
    { name: 'wrong admin token', bearer: 'x'.repeat(48), course: 'A', passes: ['public'] },
    {
      name: 'instructor of course A (control)',
      ...(await session(ids.platform1, ids.A, 'instructor')),
      course: 'A',
      passes: ['public', 'staff', 'member', 'session'],
    },
    {
      name: 'deep-linking instructor of course A (control)',
      ...(await session(ids.platform1, ids.A, 'instructor', true)),
      course: 'A',
      passes: ['public', 'staff', 'member', 'session', 'deepLinking'],
    },
    {
      name: 'learner of course A',
      ...(await session(ids.platform1, ids.A, 'learner', true)),
      course: 'A',
      passes: ['public', 'member', 'session'],
    },
    {
      name: 'instructor of course B, same platform',
      ...(await session(ids.platform1, ids.B, 'instructor')),
      course: 'A',
      passes: ['public', 'session'],
    },
    {
      name: 'instructor of course C, other platform',
      ...(await session(ids.platform2, ids.C, 'instructor')),
      course: 'A',
      passes: ['public', 'session'],
    },
    {
      // Its own course in the URL, but course A's binding: the object must be checked against the course.
      name: 'instructor of course B with course A binding',
      ...(await session(ids.platform1, ids.B, 'instructor')),
      course: 'B',
      passes: [],
      objectsOnly: true,
    },
  );
  routes = listRoutes(
    createApp({ config: tool.config, logger: silentLogger(), redis: tool.redis, queues: tool.queues }),
  );
}, 120_000);

afterAll(async () => {
  await tool?.close();
});

function concrete(path: string, who: Identity): string {
  return path
    .replace(':courseId', who.course === 'B' ? ids.B : ids.A)
    .replace(':bindingId', ids.bindingA)
    .replace(':requestId', new Types.ObjectId().toHexString())
    .replace(':id/lms-connection', `${ids.platform1}/lms-connection`)
    .replace('platforms/:id', `platforms/${ids.platform1}`)
    .replace(':id', 'unknown')
    .replace(':format', 'ob3')
    .replace(':file', 'credential.pdf');
}

/** Forms carry their CSRF token in the body; the JSON APIs in a header. */
const FORMS = new Set(['POST /lti/deep-link']);

async function attempt(route: RouteEntry, who: Identity) {
  const form = FORMS.has(`${route.method} ${route.path}`);
  const res = await fetch(`${tool.url}${concrete(route.path, who)}`, {
    method: route.method,
    redirect: 'manual',
    headers: {
      accept: 'application/json',
      ...(who.cookie ? { cookie: who.cookie } : {}),
      ...(who.csrf ? { 'x-csrf-token': who.csrf } : {}),
      ...(who.bearer ? { authorization: `Bearer ${who.bearer}` } : {}),
      ...(route.method === 'GET'
        ? {}
        : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }),
    },
    body:
      route.method === 'GET'
        ? undefined
        : form
          ? new URLSearchParams({ csrf: who.csrf ?? '' }).toString()
          : '{}',
  });
  await res.arrayBuffer();
  return res.status;
}

describe('route authorization', () => {
  it('finds the app routes, and every one has a rule', () => {
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.map((r) => `${r.method} ${r.path}`).filter((k) => !(k in RULES));
    expect(missing).toEqual([]);
  });

  it('refuses every identity a route does not allow, and lets the allowed ones past the guard', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const rule = RULES[`${route.method} ${route.path}`]!;
      if (rule === 'protocol') continue;
      for (const who of identities) {
        if (who.objectsOnly && !route.path.includes(':bindingId')) continue;
        const status = await attempt(route, who);
        const allowed = who.passes.includes(rule);
        // Refused: 401/403, or 404 where the object is not the caller's. Never a success, never a crash.
        // A deep-linking route also refuses (400) a session that has no content selection in progress.
        const refused =
          status === 401 ||
          status === 403 ||
          status === 404 ||
          ((rule === 'deepLinking' || rule === 'link') && status === 400);
        if (status >= 500 && status !== 502 && status !== 503)
          wrong.push(`${route.method} ${route.path} as ${who.name}: ${status}`);
        else if (!allowed && !refused)
          wrong.push(`${route.method} ${route.path} as ${who.name}: ${status}, should be refused`);
        else if (allowed && (status === 401 || status === 403))
          wrong.push(`${route.method} ${route.path} as ${who.name}: ${status}, should pass the guard`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('protocol routes refuse a request that carries no protocol message', async () => {
    const protocol = routes.filter((r) => RULES[`${r.method} ${r.path}`] === 'protocol');
    for (const route of protocol) {
      const status = await attempt(route, identities[0]!);
      expect([400, 401, 403]).toContain(status);
    }
  });
});
