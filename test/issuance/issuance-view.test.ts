import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SESSION_COOKIES, startSession } from '../../src/web/sessions.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { PATHS } from '../../src/lti/constants.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import type { RunningProcess } from '../helpers/processes.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';
import { Browser, readForm } from '../simulator/browser.js';
import { PlatformSimulator, type SimLineItem } from '../simulator/platform.js';

/**
 * What people see of issuance: why a regrade suspended or revoked a credential (instructor, learner, public),
 * the worker's line per credential signed, and the operator's issuance counts from MongoDB. A real worker
 * process issues against the LTI platform simulator.
 */
const LEARNERS = ['4001', '4002', '4003', '4004', '4005', '4006'];
/** Learner names and addresses the worker's output must never carry. */
const nameOf = (id: string) => `Learner Mirandola${id}`;
const emailOf = (id: string) => `user${id}@example.com`;
const [SUSPENDED, REVOKED, KEPT] = LEARNERS;

let tool: ToolUnderTest;
let sim: PlatformSimulator;
let worker: RunningProcess;
let clientId: string;
let institutionId: string;
let quiz: SimLineItem;
let project: SimLineItem;
let courseUrlId: string;
let sessionApi: Awaited<ReturnType<typeof launchInstructor>>['api'];
let instructor: Browser;
let bindingId: string;

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  sessionApi(tool.url, path, init);
const requestsPath = () => `/lti/api/courses/${courseUrlId}/bindings/${bindingId}/requests`;

type StoredRequest = NonNullable<Awaited<ReturnType<typeof storedRequest>>>;
const storedRequest = (learnerId: string) => IssuanceRequest.findOne({ bindingId, learnerId }).lean();

/**
 * Asks for a sync and waits for its effect on the learner's request: a sync that a learner's launch started
 * may still be running on the grades from before, so "a sync finished" proves nothing.
 */
async function syncUntil(learnerId: string, done: (r: StoredRequest) => boolean): Promise<StoredRequest> {
  const res = await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}/sync`, { method: 'POST' });
  expect(res.status).toBe(202);
  return until(
    async () => {
      const request = await storedRequest(learnerId);
      return request && done(request) ? request : undefined;
    },
    `the sync's effect on learner ${learnerId}`,
    30_000,
  );
}

/** Waits out syncs still queued or running (a learner's launch asks for one), which read the binding before. */
async function syncsIdle(): Promise<void> {
  await until(
    async () => {
      const counts = await tool.queues.gradeSync.getJobCounts('active', 'waiting', 'prioritized');
      const open = (counts.active ?? 0) + (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      return open === 0 ? true : undefined;
    },
    'no sync running',
    30_000,
  );
}

/** The learner's quiz drops to `percent` under `policy`; returns the learner's request once the sync saw it. */
async function regrade(learnerId: string, policy: 'keep' | 'suspend' | 'revoke', percent: number) {
  await syncsIdle();
  const put = await api(`/lti/api/courses/${courseUrlId}/bindings/${bindingId}`, {
    method: 'PUT',
    body: { regradePolicy: policy },
  });
  expect(put.status).toBe(200);
  sim.grade(quiz.id, learnerId, percent);
  return syncUntil(learnerId, (r) => Boolean(r.flagged));
}

type ListedRequest = {
  _id: string;
  learnerId: string;
  statusReason: string;
  reason: string;
  reasonCode?: string;
};

async function listed(learnerId: string, query = ''): Promise<ListedRequest> {
  const res = await api(`${requestsPath()}?limit=1000${query}`);
  expect(res.status).toBe(200);
  return (res.body.requests as ListedRequest[]).find((r) => r.learnerId === learnerId)!;
}

/** The CSV export's fields of one learner's row (its reason holds a comma, so it is quoted). */
async function csvRow(learnerId: string): Promise<Record<string, string>> {
  const csv = String((await api(`${requestsPath()}.csv`)).body.text);
  const [header, ...lines] = csv.trim().split('\r\n');
  const fields = (line: string) =>
    [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)]
      .slice(0, header!.split(',').length)
      .map((m) => m[1]!.replace(/^"|"$/g, '').replace(/""/g, '"'));
  const names = header!.split(',');
  const line = lines.find((l) => l.startsWith(`${learnerId},`))!;
  return Object.fromEntries(fields(line).map((v, i) => [names[i]!, v]));
}

/** A learner's launch from the course: their "My credentials" page in that session, in `lang` if given. */
async function learnerPage(learnerId: string, lang?: string): Promise<string> {
  const browser = new Browser();
  const { url, params } = sim.loginRequest(clientId, learnerId, '2');
  const form = readForm(await browser.get(`${url}?${new URLSearchParams(params)}`));
  const page = await browser.post(form.action, form.fields);
  expect(page.url).toMatch(new RegExp(`${PATHS.learnerCredentials}$`));
  if (!lang) return page.body;
  return (await browser.get(`${tool.url}${PATHS.learnerCredentials}?lang=${lang}`)).body;
}

/** Text of a page without its markup, spaces collapsed. */
const text = (body: string) =>
  body
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');

beforeAll(async () => {
  tool = await startTool({
    // The worker's info lines are what operators read; the test reads them too.
    LOG_LEVEL: 'info',
    ISSUE_BACKOFF_MS: '200',
    RECONCILE_INTERVAL_MS: '1500',
    WORKER_CONCURRENCY: '2',
  });
  sim = await new PlatformSimulator().start();
  ({ clientId, institutionId } = await setUpInstitution(sim, tool));
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
  sim.enrol('2', '3', 'Instructor');
  quiz = sim.addLineItem('2', 'Quiz 1', { clientId, scoreMaximum: 100 });
  project = sim.addLineItem('2', 'Project', { clientId, scoreMaximum: 100 });
  for (const id of LEARNERS) {
    sim.addUser(id, nameOf(id));
    sim.enrol('2', id, 'Learner');
    sim.grade(quiz.id, id, 80);
    sim.grade(project.id, id, 90);
  }
  // One learner does not qualify: nothing is issued to them.
  sim.grade(project.id, LEARNERS.at(-1)!, 20);
  ({ courseUrlId, api: sessionApi, browser: instructor } = await launchInstructor(sim, clientId, '3', '2'));

  const typeId = sim.tool(clientId).typeId;
  const itemUrl = (item: SimLineItem) =>
    `${sim.url}/mod/lti/services.php/${item.courseId}/lineitems/${item.id}/lineitem?type_id=${typeId}`;
  const percent = (item: SimLineItem, value: number) => ({
    kind: 'assessment',
    itemId: itemUrl(item),
    threshold: { unit: 'percent', value },
  });
  const created = await api(`/lti/api/courses/${courseUrlId}/bindings`, {
    method: 'POST',
    body: {
      templateKey: 'applied-data-analysis-python',
      rule: {
        outcomes: [
          { outcome: 0, evidence: [percent(quiz, 50)] },
          { outcome: 1, evidence: [percent(project, 60)] },
        ],
      },
    },
  });
  expect(created.status).toBe(201);
  bindingId = String(created.body._id);
  worker = await tool.startWorker();
  await until(
    async () =>
      (await IssuanceRequest.countDocuments({ bindingId, state: 'issued' })) === LEARNERS.length - 1 &&
      (await IssuanceRequest.countDocuments({ bindingId, state: { $ne: 'issued' } })) === 0
        ? true
        : undefined,
    'five issued credentials',
    120_000,
  );
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await tool?.close();
  await sim?.stop();
});

describe('the worker log', () => {
  it('has one "credential issued" line per credential, with what an operator needs and nothing of the learner', async () => {
    const issued = await IssuanceRequest.find({ bindingId, state: 'issued' }).lean();
    const binding = (await CourseBinding.findById(bindingId).lean())!;
    // The line may follow the database update by a moment.
    const lines = await until(
      async () => {
        const found = worker
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.msg === 'credential issued');
        return found.length >= issued.length ? found : undefined;
      },
      'the log lines',
      20_000,
    );
    expect(lines).toHaveLength(issued.length);
    expect(new Set(lines.map((l) => l.requestId))).toEqual(new Set(issued.map((r) => String(r._id))));
    for (const line of lines) {
      expect(line).toMatchObject({
        level: 'info',
        service: 'worker',
        component: 'issuance',
        bindingId,
        templateKey: binding.templateId,
        templateVersion: binding.templateVersion,
        issuerId: binding.issuerId,
        attempt: 1,
      });
      expect(typeof line.durationMs).toBe('number');
    }
    const output = worker.output();
    for (const id of LEARNERS) {
      expect(output).not.toContain(emailOf(id));
      expect(output).not.toContain(`Mirandola${id}`);
    }
  });
});

describe('regrade reasons', () => {
  it('a regrade suspension reads in words for the instructor, in the API, the CSV and the dashboard', async () => {
    const request = await regrade(SUSPENDED!, 'suspend', 40);
    expect(request).toMatchObject({ state: 'suspended', statusReason: 'regrade' });

    const reason = 'Suspended because a grade changed: Quiz 1 is 40%, 50% needed';
    // The machine value stays; the words come next to it.
    expect(await listed(SUSPENDED!)).toMatchObject({
      statusReason: 'regrade',
      reasonCode: 'regrade',
      reason,
    });
    expect((await listed(SUSPENDED!, '&lang=pt')).reason).toBe(
      'Suspensa porque uma nota mudou: Quiz 1 tem 40%, são necessários 50%',
    );
    expect(await csvRow(SUSPENDED!)).toMatchObject({ state: 'suspended', reason });

    const dashboard = await instructor.get(`${tool.url}/lti/courses/${courseUrlId}?lang=en`);
    expect(dashboard.status).toBe(200);
    expect(text(dashboard.body)).toContain(reason);
    expect(dashboard.body).not.toMatch(/<td>\s*regrade\s*</);
  });

  it('the learner reads why on their own page, in their language; the public page says it in general words', async () => {
    const request = (await IssuanceRequest.findOne({ bindingId, learnerId: SUSPENDED }).lean())!;
    const mine = text(await learnerPage(SUSPENDED!));
    expect(mine).toContain('Suspended because one of your grades changed: Quiz 1 is 40%, 50% needed.');
    const inPortuguese = text(await learnerPage(SUSPENDED!, 'pt'));
    expect(inPortuguese).toContain(
      'Suspensa porque uma das suas notas mudou: Quiz 1 tem 40%, são necessários 50%.',
    );

    const publicPage = text(await (await fetch(`${tool.url}/credentials/${request._id}?lang=en`)).text());
    expect(publicPage).toContain(
      "The issuer has suspended this credential because the holder's results changed and no longer meet its requirements.",
    );
    expect(publicPage).not.toContain('40%');
    expect(publicPage).not.toContain('Quiz 1');
  });

  it('lifting the suspension (the learner meets the rule again) clears the flag and the reason', async () => {
    await syncsIdle();
    sim.grade(quiz.id, SUSPENDED!, 95);
    const request = await syncUntil(SUSPENDED!, (r) => r.state === 'issued');
    expect(request).toMatchObject({ state: 'issued', statusReason: '', flagged: '' });
    const row = await listed(SUSPENDED!);
    expect(row.reason).toBe('');
    expect(row.reasonCode).toBeUndefined();
    expect(text(await learnerPage(SUSPENDED!))).not.toContain('grades changed');
  });

  it('a regrade revocation reads in words too, and a kept credential says what changed', async () => {
    const revoked = await regrade(REVOKED!, 'revoke', 30);
    expect(revoked).toMatchObject({ state: 'revoked', statusReason: 'regrade' });
    expect(await listed(REVOKED!)).toMatchObject({
      reasonCode: 'regrade',
      reason: 'Revoked because a grade changed: Quiz 1 is 30%, 50% needed',
    });
    expect(text(await learnerPage(REVOKED!))).toContain(
      'Revoked because one of your grades changed: Quiz 1 is 30%, 50% needed.',
    );
    const publicPage = text(await (await fetch(`${tool.url}/credentials/${revoked._id}?lang=de`)).text());
    expect(publicPage).toContain('weil sich die Ergebnisse der Inhaberin oder des Inhabers geändert haben');
    expect(publicPage).not.toContain('30%');

    const kept = await regrade(KEPT!, 'keep', 20);
    expect(kept.state).toBe('issued');
    expect(await listed(KEPT!)).toMatchObject({
      reasonCode: 'regrade-flag',
      reason: 'Still valid, but a grade changed: Quiz 1 is 20%, 50% needed',
    });
  });
});

describe('the operator', () => {
  it('sees issuance by state from MongoDB on the queues page, beside the queue counts', async () => {
    await createAdminUser('queue-operator', 'correct horse battery staple');
    const { token } = await startSession('console', { username: 'queue-operator' }, 3_600_000);
    const res = await fetch(`${tool.url}/admin/queues?lang=en`, {
      headers: { cookie: `${SESSION_COOKIES.console}=${token}`, accept: 'text/html' },
    });
    expect(res.status).toBe(200);
    const body = await res.text();
    const count = (scope: string, key: string) =>
      Number(new RegExp(`data-scope="${scope}"[^>]*data-count="${key}"[^>]*>\\s*([\\d,]+)`).exec(body)?.[1]);
    const issued = await IssuanceRequest.countDocuments({ state: 'issued' });
    for (const scope of ['all', institutionId]) {
      expect({ scope, issued: count(scope, 'issued') }).toEqual({ scope, issued });
      expect({ scope, revoked: count(scope, 'revoked') }).toEqual({ scope, revoked: 1 });
      expect({ scope, queued: count(scope, 'queued') }).toEqual({ scope, queued: 0 });
      // Every credential here was signed minutes ago, the suspended and revoked ones included.
      expect({ scope, hour: count(scope, 'issued-hour') }).toEqual({ scope, hour: LEARNERS.length - 1 });
      expect({ scope, day: count(scope, 'issued-day') }).toEqual({ scope, day: LEARNERS.length - 1 });
    }
    // BullMQ removes completed jobs on purpose: no "completed" count that always reads 0.
    expect(body).not.toMatch(/>\s*completed\s*</);
    expect(text(body)).toMatch(/Waiting/);
  });
});
