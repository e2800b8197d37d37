import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Credential } from '../../src/credentials/credential-model.js';
import { findCredential, findCredentials } from '../../src/credentials/credential-store.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { installationDocumentLoader } from '../../src/issuers/resolvers.js';
import { installationVerification } from '../../src/issuers/recognition.js';
import { GradeSnapshot, IssuanceRequest } from '../../src/issuance/request-model.js';
import { enqueueIssue } from '../../src/issuance/queueing.js';
import { syncBinding } from '../../src/issuance/sync.js';
import { engineCredentialOps } from '../../src/issuance/credential-ops.js';
import { gradeSourceFactory } from '../../src/grades/source-factory.js';
import { ServiceTokens } from '../../src/lti/service-token.js';
import { ToolKeys } from '../../src/lti/tool-keys.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { findRedisServer, startRedis } from '../../scripts/services/redis.js';
import type { ServiceHandle } from '../../scripts/services/types.js';
import { silentLogger } from '../helpers/env.js';
import { until } from '../helpers/wait.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import { PlatformSimulator, type SimLineItem } from '../simulator/platform.js';

/**
 * Grades to credentials end to end: the tool (web in this process, workers as real processes) against the
 * LTI platform simulator and a real SMTP server, on a private Redis so FLUSHALL touches nothing else.
 */
const LEARNERS = 200;
const learnerIds = Array.from({ length: LEARNERS }, (_, i) => String(1000 + i));
const quizOf = (i: number) => (i * 37) % 101;
const projectOf = (i: number) => (i * 53) % 101;
const qualifies = (i: number) => quizOf(i) >= 50 && projectOf(i) >= 60;

let redisServer: ServiceHandle;
let redisDir: string;
let smtp: { url: string; mails: ReceivedMail[]; stop(): Promise<void> };
let sim: PlatformSimulator;
let tool: ToolUnderTest;
let clientId: string;
let quiz: SimLineItem;
let project: SimLineItem;
let credentialItem: SimLineItem;
let courseUrlId: string;
let sessionApi: Awaited<ReturnType<typeof launchInstructor>>['api'];
let bindingId: string;
let worker: Awaited<ReturnType<ToolUnderTest['startWorker']>>;
const METRICS_TOKEN = 'pipeline-metrics-token-0123456789abcdef';

function api(path: string, init: { method?: string; body?: unknown } = {}) {
  return sessionApi(tool.url, path, init);
}

/** Waits until no request of the binding is open, and returns the state counts. */
async function settled(expectedIssued: number) {
  return until(
    async () => {
      const issued = await IssuanceRequest.countDocuments({ bindingId, state: 'issued' });
      const open = await IssuanceRequest.countDocuments({ bindingId, state: { $in: ['queued', 'signing'] } });
      return issued >= expectedIssued && open === 0 ? issued : undefined;
    },
    `${expectedIssued} issued credentials`,
    180_000,
  );
}

function expectedQualified(): Set<string> {
  return new Set(learnerIds.filter((_, i) => qualifies(i)));
}

beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), 'credbridge-pipeline-redis-'));
  redisServer = await startRedis(await findRedisServer(() => undefined), redisDir);
  smtp = await startSmtpServer();
  tool = await startTool({
    REDIS_URL: redisServer.url,
    SMTP_URL: smtp.url,
    ISSUE_BACKOFF_MS: '200',
    ISSUE_CLAIM_TIMEOUT_MS: '3000',
    RECONCILE_INTERVAL_MS: '1500',
    JOB_LOCK_MS: '4000',
    WORKER_CONCURRENCY: '4',
    METRICS_TOKEN: METRICS_TOKEN,
  });
  sim = await new PlatformSimulator().start();

  // The admin registers the tool (dynamic registration) and activates it; the institution and a template exist.
  ({ clientId } = await setUpInstitution(sim, tool));

  // The course: an instructor, 200 learners with scripted grades on two of the tool's line items.
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
  sim.enrol('2', '3', 'Instructor');
  quiz = sim.addLineItem('2', 'Quiz 1', { clientId, scoreMaximum: 100 });
  project = sim.addLineItem('2', 'Project', { clientId, scoreMaximum: 100 });
  credentialItem = sim.addLineItem('2', 'Credential', { clientId, scoreMaximum: 1 });
  learnerIds.forEach((id, i) => {
    sim.addUser(id, `Learner ${id}`);
    sim.enrol('2', id, 'Learner');
    sim.grade(quiz.id, id, quizOf(i));
    sim.grade(project.id, id, projectOf(i));
  });

  ({ courseUrlId, api: sessionApi } = await launchInstructor(sim, clientId, '3', '2'));
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
  await smtp?.stop();
  await redisServer?.stop();
  await rm(redisDir, { recursive: true, force: true });
});

function lineItemUrl(item: SimLineItem): string {
  const typeId = sim.tool(clientId).typeId;
  return `${sim.url}/mod/lti/services.php/${item.courseId}/lineitems/${item.id}/lineitem?type_id=${typeId}`;
}

describe('from grades to credentials', () => {
  it('refuses a rule that names an outcome the template lacks, naming the field', async () => {
    const res = await api(`/lti/api/courses/${courseUrlId}/bindings`, {
      method: 'POST',
      body: {
        templateKey: 'applied-data-analysis-python',
        rule: { outcomes: [{ outcome: 7, evidence: [{ kind: 'courseCompletion' }] }] },
      },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('rule.outcomes[0].outcome');
    expect(await CourseBinding.countDocuments()).toBe(0);
  });

  it('enables a template with a rule; the dry run matches what is then issued, exactly once each', async () => {
    const created = await api(`/lti/api/courses/${courseUrlId}/bindings`, {
      method: 'POST',
      body: {
        templateKey: 'applied-data-analysis-python',
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [
                { kind: 'assessment', itemId: lineItemUrl(quiz), threshold: { unit: 'percent', value: 50 } },
              ],
            },
            {
              outcome: 1,
              evidence: [
                {
                  kind: 'assessment',
                  itemId: lineItemUrl(project),
                  threshold: { unit: 'percent', value: 60 },
                },
              ],
            },
          ],
        },
        writeBackLineItemUrl: lineItemUrl(credentialItem),
      },
    });
    expect(created.status).toBe(201);
    bindingId = String(created.body._id);

    const dry = await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/dry-run`);
    expect(dry.status).toBe(200);
    const rows = dry.body.rows as { learnerId: string; qualified: boolean; missing: string[] }[];
    expect(rows).toHaveLength(LEARNERS);
    const dryQualified = new Set(rows.filter((r) => r.qualified).map((r) => r.learnerId));
    expect(dryQualified).toEqual(expectedQualified());
    const notQualified = rows.find((r) => !r.qualified)!;
    expect(notQualified.missing.join(' ')).toMatch(/Quiz 1|Project/);

    worker = await tool.startWorker();
    const issued = await settled(dryQualified.size);
    expect(issued).toBe(dryQualified.size);

    const holders = new Set(
      (await IssuanceRequest.find({ bindingId, state: 'issued' }).lean()).map((r) => r.learnerId),
    );
    expect(holders).toEqual(dryQualified);
    expect(await Credential.countDocuments()).toBe(dryQualified.size);

    // What the worker reports: the sync it ran against this platform, the LMS's answers, the credentials.
    const metrics = await (
      await fetch(`${worker.healthUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    const sample = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
    const platform = String((await IssuanceRequest.findOne({ bindingId }).lean())!.platformId);
    expect(
      sample(
        new RegExp(
          `^credbridge_grade_sync_duration_seconds_count\\{platform="${platform}",outcome="ok"\\} (\\d+)$`,
          'm',
        ),
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        new RegExp(
          `^credbridge_lms_requests_total\\{platform="${platform}",method="GET",status="200"\\} (\\d+)$`,
          'm',
        ),
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(/^credbridge_credentials_issued_total (\d+)$/m)).toBe(dryQualified.size);
  }, 240_000);

  it('issues credentials that verify, in both formats', async () => {
    const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
    const ids = (await Credential.find({}, { _id: 1 }).limit(5).lean()).map((c) => String(c._id));
    const sample = await findCredentials({ ids });
    expect(sample).toHaveLength(ids.length);
    for (const c of sample) {
      for (const doc of [c.ob3, c.elm]) {
        const result = await verifyCredential(doc, verification);
        expect(result.checks.filter((k) => !k.ok)).toEqual([]);
        expect(result.verified).toBe(true);
      }
    }
  });

  it('writes a score and comment back to the LMS and e-mails each learner once', async () => {
    const holders = expectedQualified();
    await until(
      async () =>
        credentialItem.results.size >= holders.size && smtp.mails.length >= holders.size ? true : undefined,
      'write-backs and e-mails',
      120_000,
    );
    expect(new Set(credentialItem.results.keys())).toEqual(holders);
    const one = credentialItem.results.get([...holders][0]!)!;
    expect(one.score).toBe(1);
    expect(one.comment).toMatch(/^Credential issued: http:\/\/127\.0\.0\.1:\d+\/credentials\//);
    expect(smtp.mails).toHaveLength(holders.size);
    expect(new Set(smtp.mails.map((m) => m.to))).toEqual(
      new Set([...holders].map((id) => `user${id}@example.com`)),
    );
    expect(smtp.mails[0]!.subject).toMatch(/^Your micro-credential: /);
    // The e-mail offers the credential to a wallet: its link opens a fresh offer of that credential.
    const walletLink = /- Add to EU wallet: (\S+)/.exec(smtp.mails[0]!.text)?.[1];
    expect(walletLink).toMatch(/\/my\/wallet-offer\?credential=[^&]+&kind=eu&t=/);
    const offerPage = await fetch(walletLink!);
    expect(offerPage.status).toBe(200);
    expect(await offerPage.text()).toMatch(
      /href="openid-credential-offer:\/\/\?credential_offer_uri=[^"]+"[\s\S]*data-tx-code>\d{6}</,
    );
  });

  it('records nothing on a re-sync without grade changes', async () => {
    const requestsBefore = await IssuanceRequest.countDocuments();
    const snapshotsBefore = await GradeSnapshot.find().sort({ learnerId: 1 }).lean();
    const res = await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/sync`, { method: 'POST' });
    expect(res.status).toBe(202);
    const binding = await until(
      async () => {
        const b = await CourseBinding.findById(bindingId).lean();
        return b?.sync?.at &&
          b.sync.at > snapshotsBefore[0]!.updatedAt! &&
          b.sync.status === 'ok' &&
          b.sync.changed === 0
          ? b
          : undefined;
      },
      'the re-sync',
      120_000,
    );
    expect(binding.sync!.newRequests).toBe(0);
    expect(await IssuanceRequest.countDocuments()).toBe(requestsBefore);
    const snapshotsAfter = await GradeSnapshot.find().sort({ learnerId: 1 }).lean();
    expect(snapshotsAfter.map((s) => s.updatedAt!.getTime())).toEqual(
      snapshotsBefore.map((s) => s.updatedAt!.getTime()),
    );
  });

  it('the same issue job run twice still yields one credential', async () => {
    const request = (await IssuanceRequest.findOne({ bindingId, state: 'issued' }).lean())!;
    await enqueueIssue(tool.queues, [String(request._id)]);
    await enqueueIssue(tool.queues, [String(request._id)]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await Credential.countDocuments({ _id: request._id })).toBe(1);
    expect(await IssuanceRequest.findById(request._id).lean()).toMatchObject({
      state: 'issued',
      attempts: 1,
    });
  });

  it('a worker killed with SIGKILL mid-batch loses nothing and duplicates nothing', async () => {
    // 60 more learners pass the quiz now; most of them newly qualify.
    learnerIds.slice(0, 60).forEach((id) => sim.grade(quiz.id, id, 95));
    const expected = learnerIds.filter(
      (_, i) => (i < 60 ? true : quizOf(i) >= 50) && projectOf(i) >= 60,
    ).length;
    const before = await IssuanceRequest.countDocuments({ bindingId, state: 'issued' });
    await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/sync`, { method: 'POST' });
    await until(
      async () => {
        const issued = await IssuanceRequest.countDocuments({ bindingId, state: 'issued' });
        return issued > before ? true : undefined;
      },
      'a batch in progress',
      120_000,
    );
    worker.child.kill('SIGKILL');
    expect(await worker.exited).toBe('SIGKILL');
    worker = await tool.startWorker();
    await settled(expected);
    const requests = await IssuanceRequest.find({ bindingId }).lean();
    expect(requests.filter((r) => r.state === 'issued')).toHaveLength(expected);
    expect(await Credential.countDocuments()).toBe(expected);
    expect(new Set(requests.map((r) => r.learnerId)).size).toBe(requests.length);
  }, 240_000);

  it('Redis FLUSHALL between sync and issue: the reconciler brings every request back', async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    learnerIds.slice(60, 100).forEach((id) => {
      sim.grade(quiz.id, id, 90);
      sim.grade(project.id, id, 90);
    });
    const binding = (await CourseBinding.findById(bindingId))!;
    const kek = parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!);
    const summary = await syncBinding(
      binding,
      await gradeSourceFactory(new ServiceTokens(new ToolKeys(kek)))(binding),
      {
        queues: tool.queues,
        credentials: engineCredentialOps({
          publicUrl: tool.url,
          kek,
          documentLoader: installationDocumentLoader(tool.url),
        }),
        logger: silentLogger(),
      },
    );
    expect(summary.newRequests).toBeGreaterThan(0);
    expect(await IssuanceRequest.countDocuments({ bindingId, state: 'queued' })).toBe(summary.newRequests);

    const admin = new Redis(redisServer.url);
    await admin.flushall();
    expect(await admin.dbsize()).toBe(0);
    admin.disconnect();

    const issuedBefore = await IssuanceRequest.countDocuments({ bindingId, state: 'issued' });
    worker = await tool.startWorker();
    await settled(issuedBefore + summary.newRequests);
    expect(await Credential.countDocuments()).toBe(await IssuanceRequest.countDocuments({ bindingId }));
  }, 240_000);

  it('applies the regrade policy: keep flags, suspend suspends and lifts, revoke revokes', async () => {
    const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
    const holders = await IssuanceRequest.find({ bindingId, state: 'issued' })
      .sort({ learnerId: 1 })
      .limit(3)
      .lean();
    const [kept, suspended, revoked] = holders.map((h) => h.learnerId);
    const syncOnce = async () => {
      const at = new Date();
      await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/sync`, { method: 'POST' });
      await until(
        async () => {
          const b = await CourseBinding.findById(bindingId).lean();
          return b?.sync?.at && b.sync.at >= at && b.sync.status === 'ok' ? true : undefined;
        },
        'a sync',
        120_000,
      );
    };
    const regrade = async (learnerId: string, policy: string) => {
      expect(
        (
          await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}`, {
            method: 'PUT',
            body: { regradePolicy: policy },
          })
        ).status,
      ).toBe(200);
      sim.grade(quiz.id, learnerId, 10);
      await syncOnce();
      return (await IssuanceRequest.findOne({ bindingId, learnerId }).lean())!;
    };
    const statusOk = async (learnerId: string) => {
      const request = (await IssuanceRequest.findOne({ bindingId, learnerId }).lean())!;
      const credential = (await findCredential(String(request._id)))!;
      const result = await verifyCredential(credential.ob3, verification);
      return result.checks.find((c) => c.check === 'status')!.ok;
    };

    const k = await regrade(kept!, 'keep');
    expect(k.state).toBe('issued');
    expect(k.flagged).toMatch(/no longer meets the rule/);
    expect(await statusOk(kept!)).toBe(true);

    const s = await regrade(suspended!, 'suspend');
    expect(s.state).toBe('suspended');
    expect(await statusOk(suspended!)).toBe(false);

    const r = await regrade(revoked!, 'revoke');
    expect(r.state).toBe('revoked');
    expect(await statusOk(revoked!)).toBe(false);

    sim.grade(quiz.id, suspended!, 99);
    await syncOnce();
    expect((await IssuanceRequest.findOne({ bindingId, learnerId: suspended }).lean())!.state).toBe('issued');
    expect(await statusOk(suspended!)).toBe(true);
  }, 120_000);

  it('re-issues a revoked credential: the learner ends with one valid and one revoked credential', async () => {
    const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
    const holder = (await IssuanceRequest.findOne({ bindingId, state: 'issued' })
      .sort({ learnerId: -1 })
      .lean())!;
    const path = `/lti/api/courses/${courseUrlId}/bindings/${bindingId}/requests`;
    const revoke = await api(`${path}/${holder._id}/status`, {
      method: 'POST',
      body: { status: 'revoked', reason: 'issued against the wrong grade' },
    });
    expect(revoke.status).toBe(200);
    expect(
      (await api(`${path}/${holder._id}/reissue`, { method: 'POST', body: { reason: 'no' } })).status,
    ).toBe(400);
    const reissue = await api(`${path}/${holder._id}/reissue`, {
      method: 'POST',
      body: { reason: 'grade corrected by the examiner' },
    });
    expect(reissue.status).toBe(202);
    const newId = reissue.body.requestId as string;
    expect(newId).not.toBe(holder._id);
    // Repeating it (a double click) names the same request and makes nothing new.
    const again = await api(`${path}/${holder._id}/reissue`, {
      method: 'POST',
      body: { reason: 'grade corrected by the examiner' },
    });
    expect(again.body.requestId).toBe(newId);

    await until(
      async () => ((await IssuanceRequest.findById(newId).lean())?.state === 'issued' ? true : undefined),
      'the new credential',
      120_000,
    );
    expect(await IssuanceRequest.countDocuments({ bindingId, learnerId: holder.learnerId })).toBe(1);
    const ids = [String(holder._id), newId];
    const credentials = await findCredentials({ ids });
    expect(credentials).toHaveLength(2);
    const statusOf = async (id: string) => {
      const credential = credentials.find((c) => String(c._id) === id)!;
      const result = await verifyCredential(credential.ob3, verification);
      return result.checks.find((c) => c.check === 'status')!.ok;
    };
    expect(await statusOf(String(holder._id))).toBe(false);
    expect(await statusOf(newId)).toBe(true);
    const audit = await AuditEvent.findOne({
      action: 'credential.reissue',
      'target.id': String(holder._id),
    }).lean();
    expect(audit?.details).toMatchObject({ reason: 'grade corrected by the examiner', newRequestId: newId });

    // The issuance list shows the replaced request with the page of its learner, pointing at its replacement.
    const issued = await IssuanceRequest.countDocuments({ bindingId, state: 'issued' });
    const list = await api(`${path}?limit=1000`);
    expect(list.status).toBe(200);
    const requests = list.body.requests as { _id: string; learnerId: string; state: string }[];
    expect(list.body.total).toBe(await IssuanceRequest.countDocuments({ bindingId }));
    expect(requests.filter((r) => r.learnerId === holder.learnerId)).toEqual([
      expect.objectContaining({ _id: newId, state: 'issued' }),
    ]);
    expect(list.body.superseded).toEqual([
      expect.objectContaining({
        _id: String(holder._id),
        learnerId: holder.learnerId,
        state: 'revoked',
        statusReason: 'issued against the wrong grade',
        supersededBy: newId,
        reissueReason: 'grade corrected by the examiner',
      }),
    ]);
    // A page without that learner carries none of its history.
    const firstPage = await api(`${path}?limit=1`);
    expect((firstPage.body.requests as unknown[]).length).toBe(1);
    expect(firstPage.body.superseded).toEqual([]);
    const history = await api(`${path}?state=superseded`);
    expect(history.body).toMatchObject({
      total: 1,
      requests: [{ _id: String(holder._id), supersededBy: newId }],
    });

    // The CSV has both rows: the replaced one as superseded, naming the credential that replaced it.
    const csv = await api(`${path}.csv`);
    expect(csv.status).toBe(200);
    const lines = String(csv.body.text).trim().split('\r\n');
    expect(lines[0]).toBe(
      'learner_id,name,email,state,issued_at,reason,flag,credential_id,replaced_by,reissue_reason',
    );
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength((await IssuanceRequest.countDocuments({ bindingId })) + 1);
    const ofHolder = rows.filter((r) => r[0] === holder.learnerId);
    expect(ofHolder.map((r) => [r[3], r[7], r[8], r[9]])).toEqual([
      ['issued', newId, '', ''],
      ['superseded', String(holder._id), newId, 'grade corrected by the examiner'],
    ]);
    expect(ofHolder[1]![5]).toBe('issued against the wrong grade');

    // Progress counts current requests only: the replaced one is neither revoked nor issued there.
    const progress = (await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/progress`)).body
      .progress as Record<string, number>;
    expect(progress.issued).toBe(issued);
    expect(progress.revoked).toBe(await IssuanceRequest.countDocuments({ bindingId, state: 'revoked' }));
    const states = ['queued', 'signing', 'issued', 'failed', 'suspended', 'revoked'];
    expect(states.reduce((n, s) => n + progress[s]!, 0)).toBe(
      await IssuanceRequest.countDocuments({ bindingId }),
    );
    expect(progress.percentDone).toBe(100);
  }, 120_000);

  it('keeps courses apart: another course cannot see or change this binding', async () => {
    const other = await api(`/lti/api/courses/${'0'.repeat(24)}/bindings/${bindingId}/progress`);
    expect(other.status).toBe(403);
    const progress = await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/progress`);
    expect(progress.status).toBe(200);
    expect((progress.body.progress as { percentDone: number }).percentDone).toBe(100);
  });
});
