import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LaunchSession, SESSION_COOKIES, startSession } from '../../src/web/sessions.js';
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { createInstitution } from '../../src/institutions/institutions.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { LtiCourse } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { createRegistrationLink } from '../../src/lti/registration-links.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { exampleTemplate, publishExampleTemplate } from '../helpers/institution.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
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
 * - protocol: authenticates by the LTI protocol itself (registration link, OIDC login, signed id_token), or by
 *   OpenID4VCI's (a pre-authorized code, an access token); test/lti/lti-flows.test.ts, test/security/trust.test.ts
 *   and test/wallets/openid4vci.test.ts attack those messages
 * - admin: the operator's admin API bearer token only
 * - metrics: the METRICS_TOKEN bearer only (Prometheus); without the setting, nobody (404)
 * - staff: an instructor (or LMS admin) session launched from this very course of this platform
 * - member: any session launched from this course, learners included
 * - session: any LTI session (a learner's own page)
 * - deepLinking: a session started by a deep-linking launch
 * - link: the learner's signed link from the e-mail (HMAC token in the URL); nothing else opens it
 * - setupLink: a console account's one-time setup link (token in the URL); nothing else opens it
 * - console: any console identity (an operator, or an institution's administrator)
 * - operator: an operator of the installation (a console account without an institution); never an LTI launch
 * - institution: an administrator of the institution that owns the object (a console account of it, or an
 *   LMS administrator launched from one of its platforms where the institution allows it)
 * - institutionAccount: an administrator of the institution with a console account of it; never an LMS sign-in
 *   (an institution's administrators and settings)
 */
type Rule =
  | 'public'
  | 'publicForm'
  | 'protocol'
  | 'link'
  | 'setupLink'
  | 'admin'
  | 'metrics'
  | 'staff'
  | 'member'
  | 'session'
  | 'deepLinking'
  | 'console'
  | 'operator'
  | 'institution'
  | 'institutionAccount';

const RULES: Record<string, Rule> = {
  'GET /metrics': 'metrics',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /lti/jwks': 'public',
  'GET /lti/canvas.json': 'public',
  'GET /lti/jwks/:institutionId': 'public',
  'GET /.well-known/did.json': 'public',
  'GET /issuers/:id/did.json': 'public',
  'GET /status-lists/:id': 'public',
  'GET /credentials/:id/:format': 'public',
  'POST /credentials/verify': 'public',
  'POST /presentations/verify': 'public',
  'GET /credentials/:id': 'public',
  'GET /credentials/:id/verification': 'public', // served by /:id/:format; the verify limit is mounted on it
  'GET /credentials/:id/files/:file': 'public',
  'GET /verify': 'public',
  'POST /verify': 'publicForm',
  'GET /my/credentials': 'link',
  'GET /my/wallet-offer': 'link',
  'GET /.well-known/oauth-authorization-server': 'public',
  'GET /.well-known/openid-credential-issuer/wallet/issuers/:issuerId': 'public',
  'GET /wallet/offers/:offerId': 'public', // by unguessable id, used once
  'GET /.well-known/jwt-vc-issuer/wallet/issuers/:issuerId': 'public',
  'GET /wallet/types/eu-microcredential': 'public',
  'GET /wallet/status-lists/:listId': 'public',
  'GET /wallet/types/:institutionId/:key/:version': 'public',
  'POST /wallet/nonce': 'public',
  'POST /wallet/token': 'protocol',
  'POST /wallet/issuers/:issuerId/credential': 'protocol',
  'POST /wallet/par': 'protocol',
  'GET /wallet/authorize': 'protocol', // a pushed request, then the learner's session or e-mail link
  'POST /wallet/authorize': 'protocol', // the consent form's CSRF token, then the learner again
  'GET /wallet/interactions/:exchangeId': 'public', // by unguessable id, used once
  'POST /wallet/exchanges/:exchangeId': 'public', // by unguessable id; DID authentication, used once
  'GET /admin/login': 'public',
  'POST /admin/login': 'publicForm',
  'GET /admin/setup/:token': 'setupLink',
  'POST /admin/setup/:token': 'setupLink',
  'POST /admin/logout': 'console',
  'GET /admin': 'console',
  'GET /admin/audit': 'console',
  'GET /admin/institutions': 'operator',
  'POST /admin/institutions': 'operator',
  'GET /admin/queues': 'operator',
  'POST /admin/queues/:name/retry': 'operator',
  'GET /admin/institution': 'institution',
  'POST /admin/institution/settings': 'institutionAccount',
  'POST /admin/institution/branding': 'institutionAccount',
  'POST /admin/institution/admins': 'institutionAccount',
  'POST /admin/institution/admins/:username/remove': 'institutionAccount',
  'GET /admin/platforms': 'institution',
  'POST /admin/platforms': 'institution',
  'POST /admin/platforms/:id/status': 'institution',
  'POST /admin/platforms/:id/deployments': 'institution',
  'POST /admin/registration-links': 'institution',
  'POST /admin/registration-links/:id/withdraw': 'institution',
  'GET /admin/issuers': 'institution',
  'POST /admin/issuers/:id/rotate': 'institution',
  'GET /admin/seal': 'institution',
  'POST /admin/seal/import': 'institution',
  'POST /admin/seal/test': 'institution',
  'GET /admin/templates': 'institution',
  'POST /admin/templates/check': 'institution',
  'POST /admin/templates': 'institution',
  'GET /admin/templates/:key/:version': 'institution',
  'GET /admin/templates/:key/:version/export': 'institution',
  'POST /admin/templates/:key/:version': 'institution',
  'POST /admin/templates/:key/:version/badge-image': 'institution',
  'POST /admin/templates/:key/:version/badge-image/generate': 'institution',
  'POST /admin/templates/:key/:version/:action': 'institution',
  'GET /admin/approvals': 'institution',
  'POST /admin/approvals/:requestId': 'institution',
  'GET /lti/register': 'protocol',
  'GET /lti/register/:token': 'protocol',
  'GET /lti/login': 'protocol',
  'POST /lti/login': 'protocol',
  'POST /lti/launch': 'protocol',
  'GET /lti/deep-link': 'deepLinking',
  'POST /lti/deep-link': 'deepLinking',
  'GET /api/admin/institutions': 'admin',
  'POST /api/admin/institutions': 'admin',
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
  'GET /lti/me/wallet-offer': 'session',
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
  'POST /lti/api/courses/:courseId/bindings/:bindingId/gradebook-column': 'staff',
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
  /** Rules that let this identity through on course A's and institution A's URLs. */
  passes: Rule[];
  /** Tried only on routes that name an object (a binding, or one of an institution's records). */
  objectsOnly?: boolean;
}

/** Routes that name one object: a course's binding, or an institution's platform, issuer, template, link or award. */
const OBJECT =
  /:bindingId|^\/admin\/(platforms|issuers|templates|registration-links|approvals|institution\/admins)\/:/;

let tool: ToolUnderTest;
let routes: RouteEntry[];
const ids = {
  A: '',
  B: '',
  C: '',
  platform1: '',
  platform2: '',
  bindingA: '',
  bindingB: '',
  issuerA: '',
  linkA: '',
  awardA: '',
};
const identities: Identity[] = [];

async function session(
  institutionId: string,
  platformId: string,
  courseId: string,
  role: 'admin' | 'instructor' | 'learner',
  deepLinking = false,
) {
  const token = randomToken();
  const csrf = randomToken();
  await LaunchSession.create({
    tokenHash: hashToken(token),
    institutionId,
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
  return { cookie: `${SESSION_COOKIES.launch}=${token}`, csrf };
}

/** A console login of an existing account, as the login form makes it. */
async function consoleSession(username: string, institutionId?: string) {
  await createAdminUser(username, 'correct horse battery staple', institutionId);
  const { token, csrfToken } = await startSession('console', { username: username }, 3_600_000);
  return { cookie: `credbridge_admin=${token}`, csrf: csrfToken };
}

beforeAll(async () => {
  // Rate limits have their own test; here the login form is tried by every identity.
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
  const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const profile = exampleTemplate().awardingBodies[0]!;
  // Institution A lets its LMS administrators into its console; institution B does not.
  await createInstitution(
    { id: 'inst-a', profile, settings: { ltiAdminsAreAdmins: true } },
    { publicUrl: tool.url, kek },
  );
  await createInstitution({ id: 'inst-b', profile }, { publicUrl: tool.url, kek });
  ids.issuerA = 'inst-a';
  await publishExampleTemplate('inst-a', { key: 'tpl' });
  const platform = (institutionId: string, issuer: string) =>
    registerPlatform(institutionId, {
      issuer,
      clientId: 'tool',
      authLoginUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      jwksUrl: `${issuer}/jwks`,
      deploymentIds: ['d1'],
    });
  const p1 = await platform('inst-a', 'https://lms-one.example');
  const p2 = await platform('inst-b', 'https://lms-two.example');
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
          institutionId: 'inst-a',
          platformId,
          deploymentId: 'd1',
          contextId,
          courseId,
          templateId: 'tpl',
          templateVersion: 1,
          issuerId: 'inst-a',
          rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
          source: { kind: 'manual' },
        })
      )._id,
    );
  ids.bindingA = await binding(ids.A, ids.platform1, 'A');
  ids.bindingB = await binding(ids.B, ids.platform1, 'B');
  ids.linkA = (await createRegistrationLink('inst-a', 'admin:test')).id;
  ids.awardA = randomUUID();
  await IssuanceRequest.create({
    _id: ids.awardA,
    bindingId: ids.bindingA,
    platformId: ids.platform1,
    deploymentId: 'd1',
    contextId: 'A',
    learnerId: 'someone',
    learner: { name: 'Some One' },
    evidence: { manualAward: { reason: 'prior learning', by: 'instructor-x' } },
    state: 'awaiting-approval',
  });

  identities.push(
    { name: 'nobody', course: 'A', passes: ['public'] },
    { name: 'admin token', bearer: ADMIN_TOKEN, course: 'A', passes: ['public', 'admin'] },
    { name: 'wrong admin token', bearer: 'x'.repeat(48), course: 'A', passes: ['public'] },
    {
      name: 'operator (console)',
      ...(await consoleSession('operator-1')),
      course: 'A',
      passes: ['public', 'console', 'operator'],
    },
    {
      name: 'administrator of institution A (console, control)',
      ...(await consoleSession('admin-a', 'inst-a')),
      course: 'A',
      passes: ['public', 'console', 'institution', 'institutionAccount'],
    },
    {
      // Its own console, but institution A's platform, issuer, template, link and award in the URL.
      name: "administrator of institution B with institution A's objects",
      ...(await consoleSession('admin-b', 'inst-b')),
      course: 'A',
      passes: ['public', 'console'],
      objectsOnly: true,
    },
    {
      name: 'LMS administrator launched from institution A, which allows it',
      ...(await session('inst-a', ids.platform1, ids.A, 'admin')),
      course: 'A',
      passes: ['public', 'staff', 'member', 'session', 'console', 'institution'],
    },
    {
      name: 'LMS administrator launched from institution B, which does not allow it',
      ...(await session('inst-b', ids.platform2, ids.C, 'admin')),
      course: 'A',
      passes: ['public', 'session'],
    },
    {
      name: 'instructor of course A (control)',
      ...(await session('inst-a', ids.platform1, ids.A, 'instructor')),
      course: 'A',
      passes: ['public', 'staff', 'member', 'session'],
    },
    {
      name: 'deep-linking instructor of course A (control)',
      ...(await session('inst-a', ids.platform1, ids.A, 'instructor', true)),
      course: 'A',
      passes: ['public', 'staff', 'member', 'session', 'deepLinking'],
    },
    {
      name: 'learner of course A',
      ...(await session('inst-a', ids.platform1, ids.A, 'learner', true)),
      course: 'A',
      passes: ['public', 'member', 'session'],
    },
    {
      name: 'instructor of course B, same platform',
      ...(await session('inst-a', ids.platform1, ids.B, 'instructor')),
      course: 'A',
      passes: ['public', 'session'],
    },
    {
      name: 'instructor of course C, other platform and institution',
      ...(await session('inst-b', ids.platform2, ids.C, 'instructor')),
      course: 'A',
      passes: ['public', 'session'],
    },
    {
      // Its own course in the URL, but course A's binding: the object must be checked against the course.
      name: 'instructor of course B with course A binding',
      ...(await session('inst-a', ids.platform1, ids.B, 'instructor')),
      course: 'B',
      passes: [],
      objectsOnly: true,
    },
  );
  // Signing out ends the console sessions the other routes are tried with: it goes last.
  const signOut = (r: RouteEntry) => (r.path === '/admin/logout' ? 1 : 0);
  routes = listRoutes(
    createApp({ config: tool.config, logger: silentLogger(), redis: tool.redis, queues: tool.queues }),
  ).sort((a, b) => signOut(a) - signOut(b));
}, 120_000);

afterAll(async () => {
  await tool?.close();
});

function concrete(path: string, who: Identity): string {
  return path
    .replace(':courseId', who.course === 'B' ? ids.B : ids.A)
    .replace(':bindingId', ids.bindingA)
    .replace('approvals/:requestId', `approvals/${ids.awardA}`)
    .replace(':requestId', new Types.ObjectId().toHexString())
    .replace(':id/lms-connection', `${ids.platform1}/lms-connection`)
    .replace('platforms/:id', `platforms/${ids.platform1}`)
    .replace('admin/issuers/:id', `admin/issuers/${ids.issuerA}`)
    .replace('registration-links/:id', `registration-links/${ids.linkA}`)
    .replace(':key/:version', 'tpl/1')
    .replace(':username', 'admin-a')
    .replace(':token', 'x'.repeat(43))
    .replace(':id', 'unknown')
    .replace(':format', 'ob3')
    .replace(':file', 'credential.pdf');
}

/** Bodies that keep the world as it is: saving institution A's settings must not lock its LMS admins out. */
const BODIES: Record<string, unknown> = {
  'POST /admin/institution/settings': { ltiAdminsAreAdmins: '1' },
};

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
          : JSON.stringify(BODIES[`${route.method} ${route.path}`] ?? {}),
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
        if (who.objectsOnly && !OBJECT.test(route.path)) continue;
        const status = await attempt(route, who);
        const allowed = who.passes.includes(rule);
        // Refused: 401/403, or 404 where the object is not the caller's. Never a success, never a crash.
        // A deep-linking route also refuses (400) a session that has no content selection in progress.
        const refused =
          status === 401 ||
          status === 403 ||
          status === 404 ||
          ((rule === 'deepLinking' || rule === 'link') && status === 400);
        // A console GET without identity redirects to the sign-in page.
        const toLogin = status === 303 && route.method === 'GET' && route.path.startsWith('/admin');
        if (status >= 500 && status !== 502 && status !== 503)
          wrong.push(`${route.method} ${route.path} as ${who.name}: ${status}`);
        else if (!allowed && !refused && !(toLogin && !who.cookie))
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
