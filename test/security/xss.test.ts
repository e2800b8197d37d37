import { readFileSync } from 'node:fs';
import { LaunchSession, SESSION_COOKIES, startSession } from '../../src/web/sessions.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { changeCredentialStatus, issueAndStoreCredential } from '../../src/credentials/credential-store.js';
import { learnerRef } from '../../src/issuance/credential-ops.js';
import { learnerLinkKey, learnerPageUrl } from '../../src/issuance/links.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { createInstitution } from '../../src/institutions/institutions.js';
import { findIssuer, signingIssuer } from '../../src/issuers/issuers.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { PATHS } from '../../src/lti/constants.js';
import { LtiCourse } from '../../src/lti/models.js';
import { registerPlatform } from '../../src/lti/platforms.js';
import { createRegistrationLink } from '../../src/lti/registration-links.js';
import { hashToken, randomToken } from '../../src/web/cookies.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import { templateSchema, type Organisation } from '../../src/templates/schema.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * XSS: a template whose every free-text field (found by trying each string of the sample template) holds
 * script and attribute-breaking payloads, an awarding body, a learner name and the name of the grade item a
 * regrade suspension says is missing (the LMS's text) that do too, rendered by every
 * screen that shows templates or credentials: the public credential page, the verify result, the learner pages
 * (LTI and e-mail link), the instructor dashboard, the deep-linking picker, the admin template list and detail.
 * The raw payload never appears; its escaped form does. The PDF certificate is made without active content.
 */
const PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "'><svg onload=alert(3)>"];
const PAYLOAD = PAYLOADS.join(' ');
/** What must never reach a page: any markup the payloads would open. */
const RAW = /<script>alert|<img src=x|<svg onload|onerror=alert\(2\)>/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Puts the payload into every string of `doc` where the schema still accepts it: all free-text fields. */
function poisonEveryTextField(doc: Json, root: Json = doc): { doc: Json; fields: string[] } {
  const fields: string[] = [];
  const walk = (node: Json, path: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      const here = path ? `${path}.${k}` : k;
      if (typeof v === 'string') {
        (node as Record<string, Json>)[k] = `${v} ${PAYLOAD}`;
        if (templateSchema.safeParse(root).success) fields.push(here);
        else (node as Record<string, Json>)[k] = v;
      } else walk(v, here);
    }
  };
  walk(doc, '');
  return { doc, fields };
}

let tool: ToolUnderTest;
const sample = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Json;
const { doc: poisoned, fields } = poisonEveryTextField(structuredClone(sample));
const pages = new Map<string, { path: string; cookie?: string }>();
let credentialId = '';

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
  const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
  const template = poisoned as Record<string, Json>;
  const profile = (template.awardingBodies as Organisation[])[0]!;
  const { issuer } = await createInstitution(
    { id: 'xss-u', profile, rootDid: true },
    { publicUrl: tool.url, kek },
  );
  const draft = await importTemplate('xss-u', template);
  await publishTemplate('xss-u', draft.key, draft.version);
  await createRegistrationLink('xss-u', 'admin:xss', `Link ${PAYLOAD}`);

  const platform = await registerPlatform('xss-u', {
    name: `LMS ${PAYLOAD}`,
    issuer: 'https://lms-xss.example',
    clientId: 'tool',
    authLoginUrl: 'https://lms-xss.example/auth',
    tokenUrl: 'https://lms-xss.example/token',
    jwksUrl: 'https://lms-xss.example/jwks',
    deploymentIds: ['d1'],
  });
  const platformId = String(platform._id);
  const course = await LtiCourse.create({ platformId, deploymentId: 'd1', contextId: 'X1', title: PAYLOAD });
  const courseId = String(course._id);
  const binding = await CourseBinding.create({
    institutionId: 'xss-u',
    platformId,
    deploymentId: 'd1',
    contextId: 'X1',
    courseId,
    courseTitle: PAYLOAD,
    templateId: draft.key,
    templateVersion: draft.version,
    issuerId: issuer._id,
    rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
    source: { kind: 'manual' },
  });
  const learnerId = 'learner-xss';
  const request = await IssuanceRequest.create({
    _id: `${String(binding._id)}-x`,
    bindingId: String(binding._id),
    platformId,
    deploymentId: 'd1',
    contextId: 'X1',
    learnerId,
    learner: { name: `Learner ${PAYLOAD}` },
    state: 'issued',
    issuedAt: new Date(),
  });
  credentialId = String(request._id);
  // A manual award waiting for approval, with the payload in the learner's name and the instructor's reason.
  await IssuanceRequest.create({
    _id: `${String(binding._id)}-a`,
    bindingId: String(binding._id),
    platformId,
    deploymentId: 'd1',
    contextId: 'X1',
    learnerId: 'learner-awaiting',
    learner: { name: `Awaiting ${PAYLOAD}` },
    evidence: { manualAward: { reason: `Because ${PAYLOAD}`, by: 'i-1', byName: `Teacher ${PAYLOAD}` } },
    state: 'awaiting-approval',
  });
  const signing = await signingIssuer((await findIssuer(issuer._id))!, kek);
  await issueAndStoreCredential({
    template: { ...draft.data, version: draft.version },
    issuer: signing,
    learner: { fullName: `Learner ${PAYLOAD}` },
    learnerRef: learnerRef(platformId, learnerId),
    evidence: { grade: PAYLOAD, courseTitle: PAYLOAD, assessedAt: new Date().toISOString() },
    credentialId,
    publicUrl: tool.url,
    documentLoader: installationDocumentLoader(tool.url),
  });
  // Suspended by a regrade, with the payload in the name of the grade item it names (the LMS's text).
  await changeCredentialStatus(
    credentialId,
    'suspension',
    true,
    signing,
    tool.url,
    installationDocumentLoader(tool.url),
  );
  await IssuanceRequest.updateOne(
    { _id: credentialId },
    {
      $set: {
        state: 'suspended',
        statusReason: 'regrade',
        flagged: `no longer meets the rule: Quiz ${PAYLOAD}: 40%, needs 50%`,
        shortfalls: [{ kind: 'percent', item: `Quiz ${PAYLOAD}`, percent: 40, needed: 50 }],
      },
    },
  );

  const session = async (role: 'instructor' | 'learner' | 'admin', deepLinking = false) => {
    const token = randomToken();
    await LaunchSession.create({
      tokenHash: hashToken(token),
      institutionId: 'xss-u',
      platformId,
      deploymentId: 'd1',
      courseId,
      userId: role === 'learner' ? learnerId : `${role}-1`,
      name: `${role} ${PAYLOAD}`,
      role,
      csrfToken: randomToken(),
      expiresAt: new Date(Date.now() + 3_600_000),
      ...(deepLinking
        ? { deepLinking: { returnUrl: 'https://lms-xss.example/return', acceptTypes: ['ltiResourceLink'] } }
        : {}),
    });
    return `${SESSION_COOKIES.launch}=${token}`;
  };
  await createAdminUser('xss-admin', 'correct horse battery staple', 'xss-u');
  await createAdminUser('xss-operator', 'correct horse battery staple');
  const admin = await startSession('console', { username: 'xss-admin' }, 3_600_000);
  const adminCookie = `credbridge_admin=${admin.token}`;
  const operatorCookie = `credbridge_admin=${(await startSession('console', { username: 'xss-operator' }, 3_600_000)).token}`;
  const link = learnerPageUrl(tool.url, learnerLinkKey(kek), learnerRef(platformId, learnerId), 1);

  pages.set('public credential page', { path: `/credentials/${credentialId}` });
  pages.set('learner page (LTI)', { path: PATHS.learnerCredentials, cookie: await session('learner') });
  pages.set('learner page (e-mail link)', { path: link.slice(tool.url.length) });
  pages.set('instructor dashboard', {
    path: `/lti/courses/${courseId}`,
    cookie: await session('instructor'),
  });
  pages.set('deep-linking picker', { path: PATHS.deepLink, cookie: await session('instructor', true) });
  pages.set('admin template list', { path: '/admin/templates', cookie: adminCookie });
  pages.set('admin template detail', {
    path: `/admin/templates/${draft.key}/${draft.version}`,
    cookie: adminCookie,
  });
  pages.set('admin platforms and registration links', { path: '/admin/platforms', cookie: adminCookie });
  pages.set('admin issuers', { path: '/admin/issuers', cookie: adminCookie });
  pages.set('admin approvals', { path: '/admin/approvals', cookie: adminCookie });
  pages.set('admin institution', { path: '/admin/institution', cookie: adminCookie });
  pages.set('operator institutions', { path: '/admin/institutions', cookie: operatorCookie });
  pages.set('operator audit log', { path: '/admin/audit', cookie: operatorCookie });
  pages.set('operator queues', { path: '/admin/queues', cookie: operatorCookie });
}, 120_000);
afterAll(async () => {
  await tool?.close();
});

function expectEscaped(name: string, body: string) {
  const hit = RAW.exec(body);
  expect(
    hit ? `${name}: raw payload at …${body.slice(Math.max(0, hit.index - 80), hit.index + 60)}…` : '',
  ).toBe('');
  expect(
    `${name}: ${body.includes('&lt;script&gt;alert(1)&lt;/script&gt;') ? 'escaped' : 'payload missing'}`,
  ).toBe(`${name}: escaped`);
}

describe('XSS payloads in every template text field', () => {
  it('the poisoned template covers the free-text fields', () => {
    // Titles, descriptions, outcomes, awarding body names, notes...: dozens of fields, all of them text.
    expect(fields.length).toBeGreaterThan(15);
    expect(fields).toEqual(expect.arrayContaining(['title.en', 'description.en']));
  });

  it.each([
    'public credential page',
    'learner page (LTI)',
    'learner page (e-mail link)',
    'instructor dashboard',
    'deep-linking picker',
    'admin template list',
    'admin template detail',
    'admin platforms and registration links',
    'admin issuers',
    'admin approvals',
    'admin institution',
    'operator institutions',
    'operator audit log',
    'operator queues',
  ])('%s renders every payload escaped', async (name) => {
    const page = pages.get(name)!;
    const res = await fetch(`${tool.url}${page.path}`, {
      headers: { accept: 'text/html', ...(page.cookie ? { cookie: page.cookie } : {}) },
      redirect: 'manual',
    });
    expect(`${name}: ${res.status}`).toBe(`${name}: 200`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    if (name === 'admin institution' || name === 'operator audit log') {
      expect(RAW.test(body)).toBe(false); // may not show poisoned text at all
      return;
    }
    expectEscaped(name, body);
  });

  it('the verify form shows the submitted credential escaped', async () => {
    const form = await fetch(`${tool.url}/verify`);
    const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const ob3 = await (await fetch(`${tool.url}/credentials/${credentialId}/files/ob3.json`)).text();
    const res = await fetch(`${tool.url}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrf, credential: ob3 }).toString(),
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(RAW.test(body)).toBe(false);
  });

  it('JSON downloads are served as JSON with nosniff, never as HTML', async () => {
    for (const file of ['ob3.json', 'elm.jsonld']) {
      const res = await fetch(`${tool.url}/credentials/${credentialId}/files/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/(ld\+)?json/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('the PDF certificate is a plain PDF: no script, no actions, the payload escaped as PDF text', async () => {
    const res = await fetch(`${tool.url}/credentials/${credentialId}/files/certificate.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/pdf/);
    const pdf = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    for (const active of ['/JavaScript', '/JS ', '/JS(', '/OpenAction', '/Launch', '/AA ', '/SubmitForm'])
      expect(pdf.includes(active)).toBe(false);
    // Text reaches PDF syntax only as escaped string literals (metadata) or glyph codes (page text): the
    // payload's parentheses, which would end a PDF string early, are always escaped.
    expect(/alert\([123]\)/.test(pdf)).toBe(false);
    expect(pdf).toContain('alert\\(1\\)'); // the title in the document information, escaped
  });
});
