import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { notifyProcessor } from '../../src/issuance/notify.js';
import type { CredentialOps } from '../../src/issuance/ports.js';
import { createLogger } from '../../src/log/logger.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import type { RunningProcess } from '../helpers/processes.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * A learner's e-mail address comes from the LMS roster, which the tool does not control: anything but one plain
 * address ("a@x, b@y" mails both, a display name or a line break adds recipients or headers) means no e-mail,
 * for that learner only, and the logs say so without the address.
 */
const BAD: Record<string, string> = {
  '12': 'a@example.org, b@evil.example',
  '13': 'Eve Example <eve@example.org>',
  '14': 'c@example.org\r\nBcc: d@evil.example',
  '15': `${'x'.repeat(250)}@example.org`,
};
const GOOD = '11';

let smtp: { url: string; mails: ReceivedMail[]; stop(): Promise<void> };
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let worker: RunningProcess;

beforeAll(async () => {
  smtp = await startSmtpServer();
  tool = await startTool({ SMTP_URL: smtp.url, ISSUE_BACKOFF_MS: '200' });
  sim = await new PlatformSimulator().start();
  const { clientId } = await setUpInstitution(sim, tool);
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
  sim.enrol('2', '3', 'Instructor');
  const quiz = sim.addLineItem('2', 'Quiz 1', { clientId, scoreMaximum: 100 });
  for (const id of [GOOD, ...Object.keys(BAD)]) {
    const user = sim.addUser(id, `Learner ${id}`);
    if (BAD[id]) user.email = BAD[id];
    sim.enrol('2', id, 'Learner');
    sim.grade(quiz.id, id, 90);
  }
  const { courseUrlId, api } = await launchInstructor(sim, clientId, '3', '2');
  const typeId = sim.tool(clientId).typeId;
  const itemId = `${sim.url}/mod/lti/services.php/2/lineitems/${quiz.id}/lineitem?type_id=${typeId}`;
  const created = await api(tool.url, `/lti/api/courses/${courseUrlId}/bindings`, {
    method: 'POST',
    body: {
      templateKey: 'applied-data-analysis-python',
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
  if (created.status !== 201) throw new Error(`binding: ${created.status} ${JSON.stringify(created.body)}`);
  worker = await tool.startWorker();
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
  await smtp?.stop();
});

/** The requests' states, for a timeout's message. */
const requestStates = async () =>
  JSON.stringify(await IssuanceRequest.find({}, { learnerId: 1, state: 1, notification: 1 }).lean());

describe('learner e-mail addresses from the roster', () => {
  it('mails the learner with one valid address, and nobody for any other address', async () => {
    const learners = 1 + Object.keys(BAD).length;
    const requests = await until(
      async () => {
        const all = await IssuanceRequest.find({}).lean();
        const done = all.filter((r) => r.state === 'issued' && r.notification !== 'pending');
        return done.length === learners ? all : undefined;
      },
      'every credential issued and its e-mail decided',
      90_000,
      requestStates,
    );
    const byLearner = new Map(requests.map((r) => [r.learnerId, r]));
    expect(byLearner.get(GOOD)!.notification).toBe('sent');
    for (const id of Object.keys(BAD)) {
      expect(byLearner.get(id)!.notification).toBe('no-address');
      expect(byLearner.get(id)!.learner?.email).toBeUndefined();
    }
    expect(smtp.mails.flatMap((m) => m.recipients)).toEqual([`user${GOOD}@example.com`]);
  }, 120_000);

  it('logs that a learner gets no e-mail, without the address', () => {
    const output = worker.output();
    // At least once per learner: two syncs that overlap may both read the roster.
    expect(output.match(/not one valid e-mail address/g)?.length).toBeGreaterThanOrEqual(
      Object.keys(BAD).length,
    );
    for (const address of [...Object.values(BAD), `user${GOOD}@example.com`]) {
      for (const part of address.split(/[\s,<>]+/).filter((p) => p.includes('@')))
        expect(output).not.toContain(part);
    }
  });
});

describe('defence in depth', () => {
  const mail = { name: 'Ana', title: 'A credential', issuer: 'A university', url: 'http://localhost/x' };

  it('the mailer refuses anything but one valid address, sending nothing', async () => {
    const mailer = createMailer(smtp.url, 'Credbridge <no-reply@localhost>')!;
    const before = smtp.mails.length;
    for (const to of [...Object.values(BAD), '', 'a@example.org; b@evil.example', 'a@example.org\n']) {
      await expect(mailer.sendCredentialMail({ ...mail, to })).rejects.toThrow(
        /not one valid e-mail address/,
      );
    }
    await mailer.sendCredentialMail({ ...mail, to: 'ana@example.org' });
    await until(async () => (smtp.mails.length > before ? true : undefined), 'the valid mail', 10_000);
    expect(smtp.mails.slice(before).flatMap((m) => m.recipients)).toEqual(['ana@example.org']);
    mailer.close();
  });

  it('a request stored with a bad address before this check gets no e-mail, and the log names no address', async () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'info', { write: (line: string) => void lines.push(line) });
    const mailer = createMailer(smtp.url, 'Credbridge <no-reply@localhost>')!;
    const id = randomUUID();
    await IssuanceRequest.collection.insertOne({
      _id: id as never,
      bindingId: 'b',
      platformId: 'p',
      deploymentId: 'd',
      contextId: 'c',
      learnerId: 'old',
      learner: { name: 'Old Learner', email: BAD['12'], gradable: true },
      state: 'issued',
      notification: 'pending',
    });
    const before = smtp.mails.length;
    const notify = notifyProcessor({
      mailer,
      credentials: { summary: async () => ({ title: 'T', issuer: 'I' }) } as unknown as CredentialOps,
      logger,
      credentialUrl: (cid) => `http://localhost/credentials/${cid}`,
    });
    expect(await notify({ data: { requestId: id } } as Job<{ requestId: string }>)).toBe('no-address');
    expect((await IssuanceRequest.findById(id).lean())!.notification).toBe('no-address');
    expect(smtp.mails.length).toBe(before);
    expect(lines.join('')).toMatch(/not one valid e-mail address/);
    expect(lines.join('')).not.toMatch(/example\.org|evil\.example/);
    mailer.close();
  });
});
