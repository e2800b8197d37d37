import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { Credential } from '../../src/credentials/credential-model.js';
import { updateInstitutionSettings } from '../../src/institutions/institutions.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import {
  createTestInstitution,
  exampleTemplate,
  publishExampleTemplate,
  registerThroughLink,
  registrationLinkFor,
} from '../helpers/institution.js';
import { enableManualBinding, launchInstructor } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser } from '../simulator/browser.js';
import { PlatformSimulator } from '../simulator/platform.js';
import { until } from '../helpers/wait.js';
import { consoleSession } from '../helpers/console.js';

/**
 * Tenancy attacked from outside: an administrator of institution B (or an LMS admin holding one of B's
 * registration links) registers a "platform" whose client id is institution A's (any A launch shows it: it is
 * the id_token's `aud`) and whose token URL is A's LMS token endpoint, under an issuer and JWKS of its own,
 * then launches itself naming A's AGS and NRPS URLs. Each institution's platforms sign with that institution's
 * own tool keys, the only ones its LMS registered, so A's LMS refuses B's assertions: no token, no roster, no
 * column in A's gradebook. Also: results imported by hand cannot invent learners or skip approval, and console
 * accounts end with their removal or a new password, and are never made from an LMS sign-in.
 */
let tool: ToolUnderTest;
let simA: PlatformSimulator;
let institutionA: string;
const institutionB = 'rogue-college';
let clientA: string;

interface EvilPlatform {
  url: string;
  hits: string[];
  /** What the tool sent to the evil registration endpoint. */
  registrations: Record<string, unknown>[];
  /** What the evil registration endpoint answers with as client_id. */
  clientId: string;
  tokenEndpoint: string;
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A server the attacker runs: its own JWKS (and, for dynamic registration, an OpenID configuration). */
async function evilPlatform(options: { clientId: string; tokenEndpoint: string }): Promise<EvilPlatform> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'evil', alg: 'RS256', use: 'sig' };
  const hits: string[] = [];
  const registrations: Record<string, unknown>[] = [];
  const app = express();
  let url = '';
  app.use((req, _res, next) => {
    hits.push(`${req.method} ${req.path}`);
    next();
  });
  app.get('/jwks', (_req, res) => res.json({ keys: [jwk] }));
  app.get('/openid-configuration', (_req, res) =>
    res.json({
      issuer: url,
      authorization_endpoint: `${url}/auth`,
      token_endpoint: options.tokenEndpoint,
      jwks_uri: `${url}/jwks`,
      registration_endpoint: `${url}/register`,
      id_token_signing_alg_values_supported: ['RS256'],
    }),
  );
  app.post('/register', express.json(), (req, res) => {
    registrations.push(req.body as Record<string, unknown>);
    res.json({
      client_id: options.clientId,
      'https://purl.imsglobal.org/spec/lti-tool-configuration': { deployment_id: 'evil-deployment' },
    });
  });
  app.use((_req, res) => res.status(200).json({ ok: true }));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    registrations,
    clientId: options.clientId,
    tokenEndpoint: options.tokenEndpoint,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'evil', typ: 'JWT' })
        .sign(privateKey as CryptoKey),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A launch the attacker's platform signs itself: login at the tool, then an id_token naming the AGS and NRPS
 * endpoints of course `courseA` of A's LMS. Returns the session cookie, course id and CSRF token.
 */
async function evilLaunch(evil: EvilPlatform, deploymentId: string, courseA: string) {
  const cookies = new Map<string, string>();
  const keep = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const login = await fetch(
    `${tool.url}/lti/login?${new URLSearchParams({
      iss: evil.url,
      login_hint: 'mallory',
      target_link_uri: `${tool.url}/lti/launch`,
      client_id: evil.clientId,
      lti_deployment_id: deploymentId,
    })}`,
    { redirect: 'manual' },
  );
  keep(login);
  expect(login.status).toBe(302);
  const auth = new URL(login.headers.get('location')!);
  expect(auth.origin).toBe(evil.url);
  const now = Math.floor(Date.now() / 1000);
  const typeId = simA.tool(clientA).typeId;
  const services = `${simA.url}/mod/lti/services.php`;
  const idToken = await evil.sign({
    iss: evil.url,
    aud: evil.clientId,
    sub: 'mallory',
    iat: now,
    exp: now + 60,
    nonce: auth.searchParams.get('nonce'),
    name: 'Mallory',
    'https://purl.imsglobal.org/spec/lti/claim/deployment_id': deploymentId,
    'https://purl.imsglobal.org/spec/lti/claim/message_type': 'LtiResourceLinkRequest',
    'https://purl.imsglobal.org/spec/lti/claim/version': '1.3.0',
    'https://purl.imsglobal.org/spec/lti/claim/roles': [
      'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
    ],
    'https://purl.imsglobal.org/spec/lti/claim/context': { id: `mirror-of-${courseA}`, title: 'Mirror' },
    'https://purl.imsglobal.org/spec/lti/claim/resource_link': { id: 'rl-1' },
    'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint': {
      lineitems: `${services}/${courseA}/lineitems?type_id=${typeId}`,
      scope: [
        'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
        'https://purl.imsglobal.org/spec/lti-ags/scope/score',
      ],
    },
    'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': {
      context_memberships_url: `${services}/CourseSection/${courseA}/bindings/${typeId}/memberships`,
    },
  });
  const launch = await fetch(`${tool.url}/lti/launch`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ id_token: idToken, state: auth.searchParams.get('state')! }).toString(),
  });
  keep(launch);
  expect(launch.status).toBe(303);
  const courseId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(launch.headers.get('location') ?? '')?.[1];
  expect(courseId).toBeDefined();
  const dashboard = await fetch(`${tool.url}/lti/courses/${courseId}`, {
    headers: { cookie: cookie(), accept: 'text/html' },
  });
  const csrf = /data-csrf="([^"]+)"/.exec(await dashboard.text())?.[1] ?? '';
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${tool.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        cookie: cookie(),
        accept: 'application/json',
        'x-csrf-token': csrf,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { courseId: courseId!, api };
}

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true', ISSUE_BACKOFF_MS: '200' });
  simA = await new PlatformSimulator().start();
  ({ institutionId: institutionA } = await createTestInstitution(tool));
  await createTestInstitution(tool, { id: institutionB, rootDid: false });
  ({ clientId: clientA } = await registerThroughLink(simA, tool.url, institutionA));
  await publishExampleTemplate(institutionA);
  simA.addUser('3', 'Terry Teacher');
  simA.addCourse('2', 'Course of A', 'A101');
  simA.enrol('2', '3', 'Instructor');
  for (const id of ['41', '42']) {
    simA.addUser(id, `Secret Learner ${id}`);
    simA.enrol('2', id, 'Learner');
  }
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await simA?.stop();
});

describe("institution B borrows institution A's client id", () => {
  it("B's console administrator registers it by hand, and A's LMS refuses it a token: no roster, no gradebook column", async () => {
    const evil = await evilPlatform({ clientId: clientA, tokenEndpoint: simA.tokenUrl });
    try {
      const adminB = await consoleSession(tool.url, 'mallory-b', institutionB);
      const registered = await adminB.post('/admin/platforms', {
        name: 'Totally our LMS',
        issuer: evil.url,
        clientId: clientA,
        authLoginUrl: `${evil.url}/auth`,
        tokenUrl: simA.tokenUrl,
        jwksUrl: `${evil.url}/jwks`,
        deploymentIds: 'evil-deployment',
      });
      expect(registered.status).toBe(303); // accepted: (issuer, clientId) differs from A's pair
      const platform = (await LtiPlatform.findOne({ issuer: evil.url }).lean())!;
      expect(platform.institutionId).toBe(institutionB);

      expect(platform.toolKeyScope).toBe(institutionB);

      const mallory = await evilLaunch(evil, 'evil-deployment', '2');
      const tokensBefore = simA.tokenRequests;
      const issuedBefore = simA.accessTokens.size;
      const roster = await mallory.api(`/lti/api/courses/${mallory.courseId}/members`);
      // The assertion reached A's LMS, signed with B's key, and A's LMS refused it: no token, no roster.
      expect(simA.tokenRequests).toBeGreaterThan(tokensBefore);
      expect(simA.accessTokens.size).toBe(issuedBefore);
      expect(roster.status).toBe(502);
      expect(JSON.stringify(roster.body)).not.toContain('Secret Learner 41');

      // ... and nothing in A's gradebook.
      const itemsBefore = simA.lineItems.size;
      const created = await mallory.api(`/lti/api/courses/${mallory.courseId}/line-items`, {
        method: 'POST',
        body: { label: 'Planted by institution B', scoreMaximum: 10 },
      });
      expect(created.status).toBe(502);
      expect(simA.lineItems.size).toBe(itemsBefore);
    } finally {
      await evil.close();
    }
  }, 90_000);

  it('an LMS admin holding a registration link of B, through dynamic registration, fares no better', async () => {
    const evil = await evilPlatform({ clientId: clientA, tokenEndpoint: simA.tokenUrl });
    try {
      const link = await registrationLinkFor(tool.url, institutionB);
      const page = await new Browser().get(
        `${link}?openid_configuration=${encodeURIComponent(`${evil.url}/openid-configuration`)}&registration_token=x`,
      );
      expect(page.status).toBe(200);
      const platform = (await LtiPlatform.findOne({ issuer: evil.url }).lean())!;
      expect(platform).toMatchObject({
        institutionId: institutionB,
        clientId: clientA,
        tokenUrl: simA.tokenUrl,
        toolKeyScope: institutionB,
      });
      // What the evil "LMS" was told to trust is B's JWKS, never A's or the installation's.
      const registration = evil.registrations.at(-1) as { jwks_uri?: string };
      expect(registration.jwks_uri).toBe(`${tool.url}/lti/jwks/${institutionB}`);

      const mallory = await evilLaunch(evil, 'evil-deployment', '2');
      const roster = await mallory.api(`/lti/api/courses/${mallory.courseId}/members`);
      expect(roster.status).toBe(502);
      expect(JSON.stringify(roster.body)).not.toContain('Secret Learner 42');
    } finally {
      await evil.close();
    }
  }, 90_000);
});

describe('results imported by hand (the manual grade source)', () => {
  it('are refused for a learner the LMS roster does not list, and what they earn waits for approval where the institution asks', async () => {
    await updateInstitutionSettings(institutionA, { manualAwardApproval: true });
    await tool.startWorker();
    const teacher = await launchInstructor(simA, clientA, '3', '2');
    const templateKey = exampleTemplate().key;
    const { bindingId, path: binding } = await enableManualBinding(teacher, tool.url, templateKey, {
      itemId: 'Exam',
      percent: 50,
    });
    const ghost = await teacher.api(tool.url, `${binding}/results`, {
      method: 'POST',
      csv:
        'learner_id,name,email,item,score,max\r\n' +
        'ghost-1,Friend Of The Teacher,anyone@elsewhere.example,Exam,100,100\r\n',
    });
    expect(ghost.status).toBe(400);
    expect(JSON.stringify(ghost.body)).toContain('learner_id \\"ghost-1\\" is not a learner of this course');
    const ghostAward = await teacher.api(tool.url, `${binding}/awards`, {
      method: 'POST',
      body: { learnerId: 'ghost-1', reason: 'not in the LMS at all' },
    });
    expect(ghostAward.status).toBe(400);

    // A learner the roster lists, under the roster's name and address whatever the file says, waiting.
    const imported = await teacher.api(tool.url, `${binding}/results`, {
      method: 'POST',
      csv: 'learner_id,name,email,item,score,max\r\n41,Someone Else,anyone@elsewhere.example,Exam,100,100\r\n',
    });
    expect(imported.status).toBe(200);
    const request = await until(
      async () => (await IssuanceRequest.findOne({ bindingId, learnerId: '41' }).lean()) ?? undefined,
      'the request of learner 41',
    );
    expect(request).toMatchObject({
      state: 'awaiting-approval',
      learner: { name: 'Secret Learner 41', email: 'user41@example.com' },
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await Credential.exists({ _id: request._id })).toBeNull();
    await updateInstitutionSettings(institutionA, { manualAwardApproval: false });
  }, 120_000);
});

describe('console accounts', () => {
  it('are never made from an LMS sign-in, which cannot change the institution’s settings either', async () => {
    simA.addUser('90', 'Sita Admin');
    simA.siteAdmins.add('90');
    await updateInstitutionSettings(institutionA, { ltiAdminsAreAdmins: true });
    const admin = await launchInstructor(simA, clientA, '90', '2');
    const cookie = [...admin.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${tool.url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: admin.csrf, ...fields }).toString(),
      });
    // It is in the console (its own institution's pages work) ...
    const platforms = await fetch(`${tool.url}/admin/platforms`, {
      headers: { cookie, accept: 'text/html' },
    });
    expect(platforms.status).toBe(200);
    // ... but mints no account, and cannot switch LMS administrators or approvals on or off.
    const invite = await post('/admin/institution/admins', { username: 'shadow-admin' });
    expect(invite.status).toBe(403);
    expect((await post('/admin/institution/settings', {})).status).toBe(403);
    expect(
      (await import('../../src/accounts/accounts.js')).findAccount('shadow-admin'),
    ).resolves.toBeUndefined();
    expect(
      (await (await import('../../src/institutions/institutions.js')).findInstitution(institutionA))!
        .settings,
    ).toMatchObject({ ltiAdminsAreAdmins: true });
    await updateInstitutionSettings(institutionA, { ltiAdminsAreAdmins: false });
  });

  it('lose their sessions on a new password and on removal, and a removed account cannot sign in again', async () => {
    const admin = await consoleSession(tool.url, 'reset-me', institutionA);
    expect((await admin.get('/admin/platforms')).status).toBe(200);
    await createAdminUser('reset-me', 'a completely new password', institutionA);
    // The old session (e.g. a stolen one the reset was meant to end) is over.
    expect((await admin.get('/admin/platforms')).status).toBe(303);

    const other = await consoleSession(tool.url, 'colleague', institutionA);
    const remover = await consoleSession(tool.url, 'remover', institutionA);
    expect((await other.get('/admin/platforms')).status).toBe(200);
    // An administrator of another institution cannot remove A's.
    const outsider = await consoleSession(tool.url, 'outsider', institutionB);
    expect((await outsider.post('/admin/institution/admins/colleague/remove')).status).toBe(404);
    expect((await other.get('/admin/platforms')).status).toBe(200);
    expect((await remover.post('/admin/institution/admins/colleague/remove')).status).toBe(303);
    expect((await other.get('/admin/platforms')).status).toBe(303);
    const { authenticate } = await import('../../src/accounts/accounts.js');
    await expect(authenticate('colleague', 'correct horse battery staple')).resolves.toBeUndefined();
    // Nobody removes themselves.
    expect((await remover.post('/admin/institution/admins/remover/remove')).status).toBe(400);
  });
});
