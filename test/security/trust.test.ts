import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { Credential } from '../../src/credentials/credential-model.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { updateInstitutionSettings } from '../../src/institutions/institutions.js';
import { GradeSnapshot, IssuanceRequest, snapshotId } from '../../src/issuance/request-model.js';
import { LtiPlatform, LtiRegistrationLink } from '../../src/lti/models.js';
import { createRegistrationLink, registrationUrl } from '../../src/lti/registration-links.js';
import {
  createTestInstitution,
  publishExampleTemplate,
  registerThroughLink,
  registrationLinkFor,
} from '../helpers/institution.js';
import { launchInstructor } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser } from '../simulator/browser.js';
import { PlatformSimulator, type SimLineItem } from '../simulator/platform.js';
import { until } from '../helpers/wait.js';
import { consoleSession } from '../helpers/console.js';

/**
 * Trust, attacked from outside the model through real HTTP: a stranger's "LMS" that was never given a
 * registration link, an LMS administrator of one institution reaching for another's console, a token sink
 * an instructor points write-back at, awards outside the roster or without approval, and a course reaching
 * for another institution's template, issuer or key. Two institutions share the installation.
 */
let tool: ToolUnderTest;
let simA: PlatformSimulator;
let simB: PlatformSimulator;
let rogue: CountingServer;
let sink: CountingServer;
let clientA: string;
let clientB: string;
let templateA: string;
let templateB: string;
let institutionA: string;
const institutionB = 'other-college';
let quiz: SimLineItem;
let credit: SimLineItem;

interface CountingServer {
  url: string;
  hits: { method: string; path: string; authorization?: string }[];
  close(): Promise<void>;
}

/** A server that records every request it gets: the outsider's "LMS", or a token sink. */
async function countingServer(configure?: (app: express.Express, url: () => string) => void) {
  const hits: CountingServer['hits'] = [];
  const app = express();
  app.use((req, _res, next) => {
    hits.push({ method: req.method, path: req.path, authorization: req.get('authorization') });
    next();
  });
  let url = '';
  configure?.(app, () => url);
  app.use((_req, res) => res.status(200).json({ ok: true }));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) } as CountingServer;
}

/** Workers read a binding at most every 5 s (src/issuance/issue.ts): a change made behind their back shows after that. */
const bindingCacheExpiry = () => new Promise((r) => setTimeout(r, 5_500));

const itemUrl = (sim: PlatformSimulator, client: string, course: string, id: number) =>
  `${sim.url}/mod/lti/services.php/${course}/lineitems/${id}/lineitem?type_id=${sim.tool(client).typeId}`;

beforeAll(async () => {
  tool = await startTool({ ISSUE_BACKOFF_MS: '200', RATE_LIMIT_DISABLED: 'true', ISSUE_ATTEMPTS: '2' });
  [simA, simB] = await Promise.all([new PlatformSimulator().start(), new PlatformSimulator().start()]);
  ({ institutionId: institutionA } = await createTestInstitution(tool));
  await createTestInstitution(tool, { id: institutionB, rootDid: false });
  ({ clientId: clientA } = await registerThroughLink(simA, tool.url, institutionA));
  ({ clientId: clientB } = await registerThroughLink(simB, tool.url, institutionB));
  templateA = await publishExampleTemplate(institutionA);
  templateB = await publishExampleTemplate(institutionB, { key: 'other-college-course' });

  simA.addUser('3', 'Terry Teacher');
  simA.addUser('90', 'Sita Admin');
  simA.siteAdmins.add('90');
  simA.addCourse('2', 'Course of A', 'A101');
  simA.enrol('2', '3', 'Instructor');
  quiz = simA.addLineItem('2', 'Quiz', { clientId: clientA, scoreMaximum: 100 });
  credit = simA.addLineItem('2', 'Credential', { clientId: clientA, scoreMaximum: 10 });
  for (const [id, score] of [
    ['41', 90],
    ['42', 20],
    ['43', 10],
  ] as const) {
    simA.addUser(id, `Learner ${id}`);
    simA.enrol('2', id, 'Learner');
    simA.grade(quiz.id, id, score);
  }
  simB.addUser('7', 'Bea Teacher');
  simB.addCourse('5', 'Course of B', 'B101');
  simB.enrol('5', '7', 'Instructor');
  rogue = await countingServer((app, url) => {
    app.get('/openid-configuration', (_req, res) => {
      res.json({
        issuer: url(),
        authorization_endpoint: `${url()}/auth`,
        token_endpoint: `${url()}/token`,
        jwks_uri: `${url()}/jwks`,
        registration_endpoint: `${url()}/register`,
      });
    });
    app.post('/register', (_req, res) => res.json({ client_id: 'rogue-client' }));
  });
  sink = await countingServer();
  await tool.startWorker();
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await Promise.all([simA?.stop(), simB?.stop(), rogue?.close(), sink?.close()]);
});

describe("a stranger's LMS, never given a registration link", () => {
  const attempt = (path: string) =>
    new Browser().get(
      `${tool.url}${path}?openid_configuration=${encodeURIComponent(`${rogue.url}/openid-configuration`)}&registration_token=stolen`,
    );

  it('is refused without a link, with a made-up, an expired, a withdrawn or a spent one, before any request leaves', async () => {
    const platforms = await LtiPlatform.countDocuments();
    const expired = await createRegistrationLink(institutionA, 'admin:test');
    await LtiRegistrationLink.updateOne(
      { _id: expired.id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const withdrawn = await createRegistrationLink(institutionA, 'admin:test');
    await LtiRegistrationLink.deleteOne({ _id: withdrawn.id });
    const spent = await registrationLinkFor(tool.url, institutionA);
    const third = await new PlatformSimulator().start();
    try {
      expect((await new Browser().get(await third.registrationUrl(spent))).status).toBe(200);
    } finally {
      await third.stop();
    }
    const pages = [
      await attempt('/lti/register'),
      await attempt(`/lti/register/${'A'.repeat(43)}`),
      await attempt(new URL(registrationUrl(tool.url, expired.token)).pathname),
      await attempt(new URL(registrationUrl(tool.url, withdrawn.token)).pathname),
      await attempt(new URL(spent).pathname),
    ];
    expect(pages.map((p) => p.status)).toEqual([403, 403, 403, 403, 403]);
    expect(pages[0]!.body).toContain('registration link');
    // Invalid, expired, withdrawn and spent links read the same: a stranger learns nothing of which.
    expect(new Set(pages.slice(1).map((p) => p.body.replace(/nonce-[^"]+/g, ''))).size).toBe(1);
    expect(rogue.hits).toEqual([]);
    expect(await LtiPlatform.countDocuments()).toBe(platforms + 1); // only the third, through its own link
  });

  it('cannot launch, so nothing is ever signed for it', async () => {
    const credentials = await Credential.countDocuments();
    const page = await new Browser().get(
      `${tool.url}/lti/login?iss=${encodeURIComponent(rogue.url)}&login_hint=1&target_link_uri=${encodeURIComponent(`${tool.url}/lti/launch`)}&client_id=rogue-client`,
    );
    expect(page.status).toBe(400);
    expect(page.body).toContain('not registered');
    expect(await Credential.countDocuments()).toBe(credentials);
  });
});

describe('a registration link binds the platform to its institution', () => {
  it('stores the platform under the institution whose administrator made the link', async () => {
    const [a, b] = await Promise.all([
      LtiPlatform.findOne({ issuer: simA.issuer }).lean(),
      LtiPlatform.findOne({ issuer: simB.issuer }).lean(),
    ]);
    expect([a?.institutionId, b?.institutionId]).toEqual([institutionA, institutionB]);
    // Each institution's audit log says which LMS joined through one of its links.
    const joined = await AuditEvent.find({ action: 'platform.register' }).lean();
    expect(joined.filter((e) => e.institutionId === institutionB).map((e) => e.details)).toEqual([
      expect.objectContaining({ issuer: simB.issuer }),
    ]);
  });

  it("an instructor of B's LMS sees and enables only B's templates, signing only with B's issuer", async () => {
    const b = await launchInstructor(simB, clientB, '7', '5');
    const course = `/lti/api/courses/${b.courseUrlId}/bindings`;
    const rule = { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] };
    const foreignTemplate = await b.api(tool.url, course, {
      method: 'POST',
      body: { templateKey: templateA, rule },
    });
    expect(foreignTemplate.status).toBe(400);
    expect(JSON.stringify(foreignTemplate.body)).toContain(
      `templateKey: no published template \\"${templateA}\\"`,
    );
    const foreignIssuer = await b.api(tool.url, course, {
      method: 'POST',
      body: { templateKey: templateB, issuerId: institutionA, rule },
    });
    expect(foreignIssuer.status).toBe(400);
    expect(JSON.stringify(foreignIssuer.body)).toContain(
      `issuerId: no issuer \\"${institutionA}\\" in this institution`,
    );
    const own = await b.api(tool.url, course, { method: 'POST', body: { templateKey: templateB, rule } });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ institutionId: institutionB, issuerId: institutionB });
    // The deep-linking picker of B's LMS lists B's template and not A's.
    const { url, params } = simB.loginRequest(clientB, '7', '5', 'LtiDeepLinkingRequest');
    const browser = new Browser();
    const auth = await browser.get(`${url}?${new URLSearchParams(params)}`);
    const { readForm } = await import('../simulator/browser.js');
    const picker = await browser.post(readForm(auth).action, readForm(auth).fields);
    expect(picker.body).toContain(`value="${templateB}"`);
    expect(picker.body).not.toContain(`value="${templateA}"`);
  });
});

describe("an LMS administrator of one institution and another institution's console", () => {
  const launchAdmin = async () => {
    const admin = await launchInstructor(simA, clientA, '90', '2');
    const cookie = [...admin.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return {
      get: (path: string) =>
        fetch(`${tool.url}${path}`, { headers: { cookie, accept: 'application/json' }, redirect: 'manual' }),
      post: (path: string, fields: Record<string, string>) =>
        fetch(`${tool.url}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie,
            accept: 'application/json',
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ _csrf: admin.csrf, ...fields }).toString(),
        }),
    };
  };

  it('gets no console at all while its institution does not allow LMS administrators', async () => {
    const admin = await launchAdmin();
    for (const path of ['/admin', '/admin/platforms', '/admin/institutions', '/admin/queues', '/admin/audit'])
      expect(`${path}: ${(await admin.get(path)).status}`).toBe(`${path}: 401`);
  });

  it("where allowed, administers its own institution only: never another's platforms or issuer, never the installation", async () => {
    await updateInstitutionSettings(institutionA, { ltiAdminsAreAdmins: true });
    const admin = await launchAdmin();
    const platforms = await admin.get('/admin/platforms');
    expect(platforms.status).toBe(200);
    const page = await platforms.text();
    expect(page).toContain(simA.issuer);
    expect(page).not.toContain(simB.issuer);
    const platformB = (await LtiPlatform.findOne({ issuer: simB.issuer }).lean())!;
    const before = platformB.deploymentIds;
    const addToB = await admin.post(`/admin/platforms/${String(platformB._id)}/deployments`, { add: 'evil' });
    expect(addToB.status).toBe(404);
    expect((await LtiPlatform.findById(platformB._id).lean())!.deploymentIds).toEqual(before);
    expect((await admin.post(`/admin/issuers/${institutionB}/rotate`, {})).status).toBe(404);
    expect((await admin.get('/admin/institutions')).status).toBe(403);
    expect((await admin.get('/admin/queues')).status).toBe(403);
    const audit = await (await admin.get('/admin/audit')).text();
    expect(audit).not.toContain(institutionB);
    await updateInstitutionSettings(institutionA, { ltiAdminsAreAdmins: false });
  });
});

describe('tokens go only where the platform said', () => {
  let teacher: Awaited<ReturnType<typeof launchInstructor>>;
  let bindings: string;
  let bindingId: string;

  beforeAll(async () => {
    teacher = await launchInstructor(simA, clientA, '3', '2');
    bindings = `/lti/api/courses/${teacher.courseUrlId}/bindings`;
  });

  const rule = () => ({
    outcomes: [
      {
        outcome: 0,
        evidence: [
          {
            kind: 'assessment',
            itemId: itemUrl(simA, clientA, '2', quiz.id),
            threshold: { unit: 'percent', value: 50 },
          },
        ],
      },
    ],
  });

  it('refuses a write-back line item that is not one of the course’s own, and the sink hears nothing', async () => {
    const typed = await teacher.api(tool.url, bindings, {
      method: 'POST',
      body: { templateKey: templateA, rule: rule(), writeBackLineItemUrl: `${sink.url}/lineitem` },
    });
    expect(typed.status).toBe(400);
    expect(JSON.stringify(typed.body)).toContain("writeBackLineItemUrl: not one of this course's line items");
    const created = await teacher.api(tool.url, bindings, {
      method: 'POST',
      body: {
        templateKey: templateA,
        rule: rule(),
        writeBackLineItemUrl: itemUrl(simA, clientA, '2', credit.id),
      },
    });
    expect(created.status).toBe(201);
    bindingId = String(created.body._id);
    const update = await teacher.api(tool.url, `${bindings}/${bindingId}`, {
      method: 'PUT',
      body: { writeBackLineItemUrl: `${sink.url}/lineitem` },
    });
    expect(update.status).toBe(400);
    // The learner who passes gets the credential and the score in the course's own line item.
    await until(
      async () =>
        (await IssuanceRequest.findOne({ bindingId, learnerId: '41', writeBack: 'done' }).lean()) ??
        undefined,
      'the write-back of learner 41',
    );
    expect(simA.lineItems.get(credit.id)!.results.get('41')?.comment).toContain('Credential issued');
    expect(sink.hits).toEqual([]);
  }, 90_000);

  it('a stored line item on another host (from before this check) fails the write-back without a token leaving', async () => {
    await CourseBinding.updateOne(
      { _id: bindingId },
      { $set: { writeBackLineItemUrl: `${sink.url}/lineitem` } },
    );
    await bindingCacheExpiry();
    const award = await teacher.api(tool.url, `${bindings}/${bindingId}/awards`, {
      method: 'POST',
      body: { learnerId: '42', reason: 'Recognised prior learning elsewhere' },
    });
    expect(award.status).toBe(202);
    const request = await until(
      async () =>
        (await IssuanceRequest.findOne({ bindingId, learnerId: '42', writeBack: { $ne: 'none' } }).lean()) ??
        undefined,
      'the write-back attempt of learner 42',
    );
    expect(request).toMatchObject({ state: 'issued', writeBack: 'failed' });
    expect(sink.hits).toEqual([]);
  }, 90_000);
});

describe('issuance authority', () => {
  it('a manual award waits for an administrator where the institution asks, and only its own administrators decide', async () => {
    await updateInstitutionSettings(institutionA, { manualAwardApproval: true });
    const teacher = await launchInstructor(simA, clientA, '3', '2');
    const binding = (await CourseBinding.findOne({ institutionId: institutionA }).lean())!;
    const path = `/lti/api/courses/${teacher.courseUrlId}/bindings/${String(binding._id)}/awards`;
    const award = await teacher.api(tool.url, path, {
      method: 'POST',
      body: { learnerId: '43', reason: 'Passed the exam on paper' },
    });
    expect(award.status).toBe(202);
    expect(award.body.state).toBe('awaiting-approval');
    const requestId = String(award.body.requestId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await Credential.exists({ _id: requestId })).toBeNull();

    const other = await consoleSession(tool.url, 'admin-of-b', institutionB);
    expect(
      (await other.post(`/admin/approvals/${requestId}`, { decision: 'approve', reason: 'looks fine' }))
        .status,
    ).toBe(404);
    expect(await (await other.get('/admin/approvals')).text()).not.toContain('Learner 43');
    const own = await consoleSession(tool.url, 'admin-of-a', institutionA);
    const list = await (await own.get('/admin/approvals')).text();
    expect(list).toContain('Learner 43');
    expect(list).toContain('Passed the exam on paper');
    expect(
      (
        await own.post(`/admin/approvals/${requestId}`, {
          decision: 'approve',
          reason: 'Paper exam verified',
        })
      ).status,
    ).toBe(303);
    await until(
      async () => (await Credential.exists({ _id: requestId })) ?? undefined,
      'the approved credential',
    );
    expect(await AuditEvent.findOne({ action: 'credential.award-approved' }).lean()).toMatchObject({
      institutionId: institutionA,
      actor: { id: 'admin-of-a' },
      details: { reason: 'Paper exam verified', learnerId: '43' },
    });
    await updateInstitutionSettings(institutionA, { manualAwardApproval: false });
  }, 90_000);

  it('nobody approves their own award: an LMS administrator who awarded it cannot, another administrator can', async () => {
    await updateInstitutionSettings(institutionA, { manualAwardApproval: true, ltiAdminsAreAdmins: true });
    simA.addUser('45', 'Learner 45');
    simA.enrol('2', '45', 'Learner');
    simA.grade(quiz.id, '45', 10);
    const admin = await launchInstructor(simA, clientA, '90', '2');
    const binding = (await CourseBinding.findOne({ institutionId: institutionA }).lean())!;
    const base = `/lti/api/courses/${admin.courseUrlId}/bindings/${String(binding._id)}`;
    expect((await admin.api(tool.url, `${base}/sync`, { method: 'POST' })).status).toBe(202);
    await until(
      async () =>
        (await GradeSnapshot.exists({ _id: snapshotId(String(binding._id), '45') })) ? true : undefined,
      'learner 45 in the roster the sync read',
    );
    const award = await admin.api(tool.url, `${base}/awards`, {
      method: 'POST',
      body: { learnerId: '45', reason: 'Vouching for my own student' },
    });
    expect(award.body.state).toBe('awaiting-approval');
    const requestId = String(award.body.requestId);
    const cookie = [...admin.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const self = await fetch(`${tool.url}/admin/approvals/${requestId}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: admin.csrf, decision: 'approve', reason: 'I am sure' }).toString(),
    });
    expect(self.status).toBe(403);
    expect((await IssuanceRequest.findById(requestId).lean())?.state).toBe('awaiting-approval');
    const colleague = await consoleSession(tool.url, 'admin-of-a-3', institutionA);
    expect(
      (
        await colleague.post(`/admin/approvals/${requestId}`, {
          decision: 'refuse',
          reason: 'No evidence given',
        })
      ).status,
    ).toBe(303);
    expect(await IssuanceRequest.exists({ _id: requestId })).toBeNull();
    expect(await AuditEvent.findOne({ action: 'credential.award-refused' }).lean()).toMatchObject({
      details: { reason: 'No evidence given', learnerId: '45' },
    });
    await updateInstitutionSettings(institutionA, { manualAwardApproval: false, ltiAdminsAreAdmins: false });
  }, 90_000);

  it('an award waiting for approval goes ahead when the learner meets the rule, and a manual award survives regrades', async () => {
    await updateInstitutionSettings(institutionA, { manualAwardApproval: true });
    simA.addUser('46', 'Learner 46');
    simA.enrol('2', '46', 'Learner');
    simA.grade(quiz.id, '46', 10);
    const teacher = await launchInstructor(simA, clientA, '3', '2');
    const binding = (await CourseBinding.findOne({ institutionId: institutionA }).lean())!;
    await CourseBinding.updateOne({ _id: binding._id }, { $set: { regradePolicy: 'revoke' } });
    await bindingCacheExpiry();
    const base = `/lti/api/courses/${teacher.courseUrlId}/bindings/${String(binding._id)}`;
    const sync = () => teacher.api(tool.url, `${base}/sync`, { method: 'POST' });
    await sync();
    await until(
      async () =>
        (await GradeSnapshot.exists({ _id: snapshotId(String(binding._id), '46') })) ? true : undefined,
      'learner 46 in the roster the sync read',
    );
    const award = await teacher.api(tool.url, `${base}/awards`, {
      method: 'POST',
      body: { learnerId: '46', reason: 'Assessed in person' },
    });
    expect(award.body.state).toBe('awaiting-approval');
    // The learner now passes the quiz: the rule is authority enough, no approval needed.
    simA.grade(quiz.id, '46', 95);
    await sync();
    await until(
      async () => (await Credential.exists({ _id: String(award.body.requestId) })) ?? undefined,
      'the credential of learner 46',
    );
    // Learner 43's approved award (earlier) never met the rule: a regrade with "revoke" leaves it alone.
    simA.grade(quiz.id, '43', 0);
    const asked = new Date();
    await sync();
    await until(async () => {
      const done = (await CourseBinding.findById(binding._id, { sync: 1 }).lean())?.sync;
      return done?.status === 'ok' && done.at && done.at > asked ? true : undefined;
    }, 'the sync after the regrade');
    expect((await IssuanceRequest.findOne({ learnerId: '43' }).lean())?.state).toBe('issued');
    await CourseBinding.updateOne({ _id: binding._id }, { $set: { regradePolicy: 'keep' } });
    await updateInstitutionSettings(institutionA, { manualAwardApproval: false });
  }, 90_000);

  it("the worker refuses a binding whose issuer is another institution's, and signs nothing with its key", async () => {
    const teacher = await launchInstructor(simA, clientA, '3', '2');
    simA.addUser('44', 'Learner 44');
    simA.enrol('2', '44', 'Learner');
    simA.grade(quiz.id, '44', 5);
    const binding = (await CourseBinding.findOne({ institutionId: institutionA }).lean())!;
    await CourseBinding.updateOne({ _id: binding._id }, { $set: { issuerId: institutionB } });
    await bindingCacheExpiry();
    const base = `/lti/api/courses/${teacher.courseUrlId}/bindings/${String(binding._id)}`;
    expect((await teacher.api(tool.url, `${base}/sync`, { method: 'POST' })).status).toBe(202);
    await until(
      async () =>
        (await GradeSnapshot.exists({ _id: snapshotId(String(binding._id), '44') })) ? true : undefined,
      'learner 44 in the roster the sync read',
    );
    const award = await teacher.api(tool.url, `${base}/awards`, {
      method: 'POST',
      body: { learnerId: '44', reason: 'Recognised prior learning elsewhere' },
    });
    expect(award.status).toBe(202);
    const failed = await until(
      async () =>
        (await IssuanceRequest.findOne({ _id: String(award.body.requestId), state: 'failed' }).lean()) ??
        undefined,
      'the refused request',
    );
    expect(failed.lastError).toContain(`does not belong to institution "${institutionA}"`);
    expect(await Credential.exists({ _id: String(award.body.requestId) })).toBeNull();
    await CourseBinding.updateOne({ _id: binding._id }, { $set: { issuerId: institutionA } });
  }, 90_000);
});

describe('platforms can be disabled and enabled again in the console', () => {
  it('disabling stops launches at once; enabling lets them in again', async () => {
    const own = await consoleSession(tool.url, 'admin-of-a-2', institutionA);
    const platform = (await LtiPlatform.findOne({ issuer: simA.issuer }).lean())!;
    expect(
      (await own.post(`/admin/platforms/${String(platform._id)}/status`, { status: 'disabled' })).status,
    ).toBe(303);
    await expect(launchInstructor(simA, clientA, '3', '2')).rejects.toThrow(/403/);
    expect(
      (await own.post(`/admin/platforms/${String(platform._id)}/status`, { status: 'active' })).status,
    ).toBe(303);
    await expect(launchInstructor(simA, clientA, '3', '2')).resolves.toMatchObject({
      csrf: expect.any(String),
    });
    expect(
      await AuditEvent.countDocuments({ action: { $in: ['platform.disable', 'platform.enable'] } }),
    ).toBe(2);
  });
});
