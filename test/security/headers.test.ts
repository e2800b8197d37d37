import { once } from 'node:events';
import { LaunchSession, SESSION_COOKIES } from '../../src/web/sessions.js';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/env.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { PATHS } from '../../src/lti/constants.js';
import { LtiCourse } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
import { createApp } from '../../src/web/app.js';
import { freePort } from '../../scripts/services/process.js';
import { silentLogger } from '../helpers/env.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Web hardening over HTTP: every answer carries a CSP and nosniff; the pages an LMS frames (instructor
 * dashboard, learner page) allow exactly the session's registered platform as frame ancestor and public pages
 * only the tool itself; HSTS is sent only when the tool's PUBLIC_URL is https; forms and instructor API writes
 * without their CSRF token are refused.
 */
const LMS = 'https://lms-headers.example';
let tool: ToolUnderTest;
let courseId: string;
let bindingId: string;
const people: Record<'instructor' | 'learner', { cookie: string; csrf: string }> = {
  instructor: { cookie: '', csrf: '' },
  learner: { cookie: '', csrf: '' },
};

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
  const platform = await registerPlatform('headers-u', {
    issuer: LMS,
    clientId: 'tool',
    authLoginUrl: `${LMS}/auth`,
    tokenUrl: `${LMS}/token`,
    jwksUrl: `${LMS}/jwks`,
    deploymentIds: ['d1'],
  });
  const platformId = String(platform._id);
  courseId = String(
    (await LtiCourse.create({ platformId, deploymentId: 'd1', contextId: 'H1', title: 'Headers 101' }))._id,
  );
  bindingId = String(
    (
      await CourseBinding.create({
        institutionId: 'headers-u',
        platformId,
        deploymentId: 'd1',
        contextId: 'H1',
        courseId,
        templateId: 'tpl',
        templateVersion: 1,
        issuerId: 'issuer',
        rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
        source: { kind: 'manual' },
      })
    )._id,
  );
  for (const role of ['instructor', 'learner'] as const) {
    const token = randomToken();
    const csrf = randomToken();
    await LaunchSession.create({
      tokenHash: hashToken(token),
      institutionId: 'headers-u',
      platformId,
      deploymentId: 'd1',
      courseId,
      userId: `${role}-1`,
      role,
      csrfToken: csrf,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    people[role] = { cookie: `${SESSION_COOKIES.launch}=${token}`, csrf };
  }
}, 60_000);
afterAll(async () => {
  await tool?.close();
});

function directives(res: Response): Map<string, string[]> {
  const csp = res.headers.get('content-security-policy') ?? '';
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('security headers', () => {
  it('LMS-framed screens allow the registered platform (and the tool) as frame ancestors, nothing else', async () => {
    const pages = [
      [`/lti/courses/${courseId}`, people.instructor.cookie],
      [PATHS.learnerCredentials, people.learner.cookie],
    ] as const;
    for (const [path, cookie] of pages) {
      const res = await fetch(`${tool.url}${path}`, { headers: { cookie, accept: 'text/html' } });
      expect(res.status).toBe(200);
      const ancestors = directives(res).get('frame-ancestors');
      expect(ancestors).toEqual(expect.arrayContaining(["'self'", LMS]));
      expect(ancestors!.every((a) => a === "'self'" || a === LMS)).toBe(true);
      expect(res.headers.get('x-frame-options')).toBeNull(); // would override frame-ancestors in old browsers
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(directives(res).get('default-src')).toBeDefined();
    }
  });

  it('public pages and APIs may be framed by the tool only, and are never sniffed', async () => {
    for (const path of ['/verify', '/healthz', '/credentials/nope', '/.well-known/did.json']) {
      const res = await fetch(`${tool.url}${path}`);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(directives(res).get('frame-ancestors')).toEqual(["'self'"]);
      expect(res.headers.get('content-security-policy')).not.toContain(LMS);
    }
  });

  it('HSTS only when PUBLIC_URL is https', async () => {
    expect((await fetch(`${tool.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    const config = loadConfig({ ...tool.env, PUBLIC_URL: 'https://credbridge.example' });
    const port = await freePort();
    const server: Server = createApp({
      config,
      logger: silentLogger(),
      redis: tool.redis,
      queues: tool.queues,
    }).listen(port, '127.0.0.1');
    await once(server, 'listening');
    try {
      const hsts = (await fetch(`http://127.0.0.1:${port}/healthz`)).headers.get('strict-transport-security');
      expect(hsts).toMatch(/max-age=\d{7,}/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('CSRF', () => {
  it('the public verify form and the admin login form refuse a post without the form token', async () => {
    for (const path of ['/verify', '/admin/login']) {
      const res = await fetch(`${tool.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'credential=%7B%7D&username=a&password=b',
      });
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/csrf|expired/i);
    }
  });

  it('the form token from another browser does not pass either', async () => {
    const page = await fetch(`${tool.url}/verify`);
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    const res = await fetch(`${tool.url}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: `credential=%7B%7D&_csrf=${'A'.repeat(32)}`,
    });
    expect(res.status).toBe(403);
  });

  it('instructor API writes need the session CSRF token: missing or wrong is 403, the right one passes', async () => {
    const url = `${tool.url}/lti/api/courses/${courseId}/bindings/${bindingId}/awards`;
    const body = JSON.stringify({ learnerIds: ['nobody'] });
    const send = (csrf?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: people.instructor.cookie,
          ...(csrf ? { 'x-csrf-token': csrf } : {}),
        },
        body,
      });
    for (const res of [await send(), await send(randomToken()), await send(people.learner.csrf)]) {
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/csrf/);
    }
    expect((await send(people.instructor.csrf)).status).not.toBe(403);
  });
});
