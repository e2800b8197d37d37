import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Credential } from '../../src/credentials/credential-model.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { findIssuer } from '../../src/issuers/issuers.js';
import { Issuer } from '../../src/issuers/issuer-model.js';
import { createLogger } from '../../src/log/logger.js';
import { LtiPlatform, LtiToolKey } from '../../src/lti/models.js';
import { decryptSecret, parseEncryptionKey } from '../../src/security/encryption.js';
import { createAdminUser, inviteAdminUser } from '../../src/accounts/accounts.js';
import {
  createTestInstitution,
  publishExampleTemplate,
  registrationLinkFor,
} from '../helpers/institution.js';
import type { RunningProcess } from '../helpers/processes.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser } from '../simulator/browser.js';
import { MoodleWsSimulator } from '../simulator/moodle-ws.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * Secrets never reach the logs: a whole flow at the most verbose log levels (web at trace in this process,
 * a worker process at debug) — dynamic registration, an instructor's launch, enabling a template, grade sync,
 * issuance with learner e-mail, an LMS connection with its token and a connection test (good and bad token),
 * admin console login, VC API and admin calls with the bearer token, and failing calls. Then every captured
 * line and every error body is scanned for the key-encryption key, private keys, the admin token and password,
 * LMS and platform tokens, session cookies, signed learner links and e-mail addresses.
 */
const LEARNERS = ['501', '502', '503'];
const LMS_TOKEN = `lms-token-${randomBytes(12).toString('hex')}`;
const ADMIN_PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

const webLines: string[] = [];
const errorBodies: string[] = [];
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let moodle: MoodleWsSimulator;
let smtp: { url: string; mails: ReceivedMail[]; stop(): Promise<void> };
let worker: RunningProcess;
const browser = new Browser();
const cookiesSeen = new Set<string>();
let registrationLink = '';
let setupLink = '';

async function call(path: string, init: RequestInit & { json?: unknown } = {}) {
  const res = await fetch(`${tool.url}${path}`, {
    ...init,
    redirect: 'manual',
    headers: {
      ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string>),
    },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) errorBodies.push(`${res.status} ${path} ${text}`);
  for (const c of res.headers.getSetCookie()) {
    const [name, ...value] = c.split(';')[0]!.split('=');
    // The form's CSRF cookie is echoed in its own form by design (double submit); sessions are the secrets.
    if (name !== 'credbridge_csrf') cookiesSeen.add(value.join('='));
  }
  return { status: res.status, text, headers: res.headers };
}
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  smtp = await startSmtpServer();
  moodle = await new MoodleWsSimulator().start();
  moodle.addToken(LMS_TOKEN);
  const logger = createLogger('web', 'trace', { write: (line: string) => void webLines.push(line) });
  tool = await startTool(
    { LOG_LEVEL: 'debug', SMTP_URL: smtp.url, SYNC_DEBOUNCE_MS: '0', RATE_LIMIT_DISABLED: 'true' },
    { logger },
  );
  sim = await new PlatformSimulator().start();
}, 120_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
  await moodle?.stop();
  await smtp?.stop();
});

describe('secrets in logs', () => {
  it('runs the whole flow with full logging', async () => {
    // The institution, registration through its link (a secret in the URL's path), and a launch.
    await createTestInstitution(tool, { id: 'log-u' });
    registrationLink = await registrationLinkFor(tool.url, 'log-u');
    await browser.get(await sim.registrationUrl(registrationLink));
    // A refused attempt with the spent link is logged too, without its token.
    await browser.get(await sim.registrationUrl(registrationLink));
    const clientId = [...sim.tools.values()][0]!.clientId;
    sim.activateTool(clientId);
    const platform = (await LtiPlatform.findOne({ issuer: sim.issuer }).lean())!;
    const templateKey = await publishExampleTemplate('log-u');
    sim.addUser('9', 'Terry Teacher');
    sim.addCourse('7', 'Logs 101');
    sim.enrol('7', '9', 'Instructor');
    const quiz = sim.addLineItem('7', 'Quiz', { clientId, scoreMaximum: 100 });
    for (const id of LEARNERS) {
      sim.addUser(id, `Learner ${id}`);
      sim.enrol('7', id, 'Learner');
      sim.grade(quiz.id, id, 90);
    }
    const { url, params } = sim.loginRequest(clientId, '9', '7');
    const form = await browser.get(`${url}?${new URLSearchParams(params)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(form.body)![1]!.replace(/&amp;/g, '&');
    const fields = Object.fromEntries(
      [...form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    const page = await browser.post(action, fields);
    const courseId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(page.url)![1]!;
    const csrf = /data-csrf="([^"]+)"/.exec(page.body)![1]!;
    for (const [name, v] of browser.cookies) if (name !== 'credbridge_csrf') cookiesSeen.add(v);
    const session = {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'x-csrf-token': csrf,
    };

    // The instructor enables the template; the worker syncs and issues, e-mailing each learner.
    const typeId = sim.tool(clientId).typeId;
    const itemId = `${sim.url}/mod/lti/services.php/7/lineitems/${quiz.id}/lineitem?type_id=${typeId}`;
    const created = await call(`/lti/api/courses/${courseId}/bindings`, {
      method: 'POST',
      headers: session,
      json: {
        templateKey,
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [{ kind: 'assessment', itemId, threshold: { unit: 'percent', value: 50 } }],
            },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    const bindingId = String((JSON.parse(created.text) as { _id: string })._id);
    worker = await tool.startWorker();
    await call(`/lti/api/courses/${courseId}/bindings/${bindingId}/sync`, {
      method: 'POST',
      headers: session,
    });
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      if (smtp.mails.length >= LEARNERS.length) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await IssuanceRequest.countDocuments({ bindingId, state: 'issued' })).toBe(LEARNERS.length);
    expect(smtp.mails.length).toBe(LEARNERS.length);
    // A learner opens the signed link from the e-mail.
    const link = /https?:\/\/\S+\/my\/credentials\?t=[\w.-]+/.exec(smtp.mails[0]!.text)![0];
    expect((await call(link.slice(tool.url.length))).status).toBe(200);
    const anyCredential = (await Credential.findOne().lean())!;
    await call(`/credentials/${String(anyCredential._id)}`);

    // The LMS connection with its token, tested against a good and a wrong token.
    const lms = `/api/admin/lti/platforms/${String(platform._id)}/lms-connection`;
    const saved = await call(lms, {
      method: 'PUT',
      headers: bearer,
      json: { kind: 'moodle', baseUrl: moodle.url, token: LMS_TOKEN },
    });
    expect(saved.status).toBe(200);
    await call(`${lms}/test`, { method: 'POST', headers: bearer, json: { courseId: '2' } });
    await call(lms, { method: 'GET', headers: bearer });
    await call(lms, {
      method: 'PUT',
      headers: bearer,
      json: { kind: 'moodle', baseUrl: moodle.url, token: `${LMS_TOKEN}-wrong` },
    });
    await call(`${lms}/test`, { method: 'POST', headers: bearer, json: { courseId: '2' } });
    // Invalid input echoing a token back must not either.
    await call(lms, {
      method: 'PUT',
      headers: bearer,
      json: { kind: 'moodle', baseUrl: 'nope', token: LMS_TOKEN },
    });

    // Admin: console login with a password, the VC API and admin APIs with the bearer token, and wrong ones.
    await createAdminUser('log-admin', ADMIN_PASSWORD, 'log-u');
    // A console account's setup link carries its token in the path too; opening it must not log it.
    const { token: setupToken } = await inviteAdminUser('log-invitee', 'log-u');
    setupLink = `/admin/setup/${setupToken}`;
    await call(setupLink);
    const login = await call('/admin/login');
    const formCookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
    const signedIn = await call('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie },
      body: new URLSearchParams({
        _csrf: loginCsrf,
        username: 'log-admin',
        password: ADMIN_PASSWORD,
      }).toString(),
    });
    expect(signedIn.status).toBe(303);
    await call('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie },
      body: new URLSearchParams({
        _csrf: loginCsrf,
        username: 'log-admin',
        password: `${ADMIN_PASSWORD}x`,
      }).toString(),
    });
    const signer = (await findIssuer('log-u'))!;
    await call('/credentials/issue', {
      method: 'POST',
      headers: bearer,
      json: {
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiableCredential'],
          issuer: signer.did,
          credentialSubject: { id: 'did:example:learner', email: 'vc-subject@example.com' },
        },
        options: { issuerId: 'log-u' },
      },
    });
    await call('/credentials/status', { method: 'POST', headers: bearer, json: { credentialId: 'nope' } });
    await call('/api/admin/lti/platforms', { headers: bearer });
    await call('/credentials/issue', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}x` },
      json: {},
    });
    await call(`/lti/courses/${courseId}?token=${ADMIN_TOKEN}`, { headers: { cookie: session.cookie } });
  }, 240_000);

  it('no secret appears in any log line or error body', async () => {
    await new Promise((r) => setTimeout(r, 500)); // let the worker flush its last lines
    const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
    const toolKey = (await LtiToolKey.findOne().lean())!;
    const pem = decryptSecret(kek, toolKey.privateKeyEncrypted, `lti-tool-key:${toolKey.kid}`);
    const issuer = (await findIssuer('log-u'))!;
    const sealed = (await Issuer.findById('log-u').lean())!.keys[0]!;
    const issuerSecret = decryptSecret(kek, sealed.sealedPrivateKey, `${issuer.did}#${sealed.keyId}`);
    const pemBody = pem.split('\n').filter((l) => l && !l.startsWith('-----'));

    const secrets: Record<string, string[]> = {
      'key-encryption key': [tool.config.KEY_ENCRYPTION_KEY!, kek.toString('hex'), kek.toString('base64url')],
      'LTI tool private key': pemBody.slice(1, 4),
      'issuer private key': [issuerSecret],
      'admin API token': [ADMIN_TOKEN],
      'admin password': [ADMIN_PASSWORD],
      'LMS token': [LMS_TOKEN],
      'platform access tokens': [...sim.accessTokens.keys()],
      'session and console cookies': [...cookiesSeen].filter((c) => c.length >= 16),
      'signed learner links': smtp.mails.map((m) => /[?&]t=([\w.-]+)/.exec(m.text)![1]!),
      'registration and setup link tokens': [
        registrationLink.split('/').at(-1)!,
        setupLink.split('/').at(-1)!,
      ],
      'e-mail addresses': [
        ...[...LEARNERS, '9'].map((id) => `user${id}@example.com`),
        ...smtp.mails.map((m) => m.to),
        'vc-subject@example.com',
      ],
    };
    expect(secrets['session and console cookies']!.length).toBeGreaterThanOrEqual(2);

    const workerLines = worker.output().split('\n');
    const lines = [...webLines, ...workerLines].filter((l) => l.trim());
    // The logs were really written, at the levels that say the most.
    expect(webLines.some((l) => /"msg":"request completed"/.test(l))).toBe(true);
    expect(workerLines.some((l) => /"level":"debug"|"level":"info"/.test(l))).toBe(true);
    expect(lines.length).toBeGreaterThan(30);

    // Positive control: the scan finds what the logger did write (the registration's path is logged).
    expect(lines.some((l) => l.includes('/lti/register/[token]'))).toBe(true);
    expect(lines.some((l) => l.includes('/admin/setup/[token]'))).toBe(true);

    const leaks: string[] = [];
    for (const [what, values] of Object.entries(secrets)) {
      for (const value of values.filter(Boolean)) {
        for (const line of [...lines, ...errorBodies]) {
          if (line.includes(value)) leaks.push(`${what} in: ${line.slice(0, 300)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
