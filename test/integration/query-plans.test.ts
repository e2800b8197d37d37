import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import type { Worker } from 'bullmq';
import { createPipeline, type Pipeline } from '../../src/issuance/pipeline.js';
import { startWorkers } from '../../src/jobs/registry.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { silentLogger } from '../helpers/env.js';
import { consoleSession } from '../helpers/console.js';
import { enableAssessmentRule, launchInstructor, setUpInstitution } from '../helpers/lti.js';
import {
  captureQueries,
  describeQuery,
  servingIndex,
  type CapturedQuery,
  type IndexKeys,
} from '../helpers/query-census.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';
import { Browser, readForm } from '../simulator/browser.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * The index review of issue 22 (docs/operations.md, "Indexes"): every query the dashboard, sync and issue paths
 * send, captured while a course goes from the instructor's launch to issued, listed and revoked credentials, with
 * the web and the worker in this process. Each must be bounded by an index the collection really has, or read a
 * collection that holds configuration (a few rows per institution) and is named below with why.
 */
const LEARNERS = 12;
/** Collections read whole on purpose: each row is configuration, not a learner's. */
const CONFIGURATION = new Set<string>(['institutions', 'lti_platforms']);

let tool: ToolUnderTest;
let sim: PlatformSimulator;
let blocking: RedisClient;
let workers: Worker[] = [];
let pipeline: Pipeline | undefined;
const captured: CapturedQuery[] = [];

beforeAll(async () => {
  tool = await startTool({ ISSUE_BACKOFF_MS: '200', WORKER_CONCURRENCY: '4' });
  sim = await new PlatformSimulator().start();
}, 120_000);

afterAll(async () => {
  mongoose.set('debug', false);
  await pipeline?.stop();
  await Promise.all(workers.map((w) => w.close()));
  blocking?.disconnect();
  await tool?.close();
  await sim?.stop();
}, 60_000);

describe('the queries of the dashboard, sync and issue paths', () => {
  it('each is bounded by an index of its collection, or reads configuration', async () => {
    // The settings every write and read of the process runs with (src/db/connection.ts).
    const client = mongoose.connection.getClient().options;
    expect(client.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 10_000 });
    expect([client.retryWrites, client.retryReads]).toEqual([true, true]);
    const { clientId } = await setUpInstitution(sim, tool);
    sim.addUser('3', 'Terry Teacher');
    sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
    sim.enrol('2', '3', 'Instructor');
    const quiz = sim.addLineItem('2', 'Quiz 1', { clientId, scoreMaximum: 100 });
    const learners = Array.from({ length: LEARNERS }, (_, i) => String(100 + i));
    learners.forEach((id, i) => {
      sim.addUser(id, `Learner ${id}`);
      sim.enrol('2', id, 'Learner');
      sim.grade(quiz.id, id, i % 3 === 0 ? 40 : 80);
    });
    const qualified = learners.filter((_, i) => i % 3 !== 0).length;

    const census = captureQueries();
    // The dashboard: the instructor's launch and the course's pages.
    const instructor = await launchInstructor(sim, clientId, '3', '2');
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      instructor.api(tool.url, path, init);
    const itemId = `${sim.url}/mod/lti/services.php/2/lineitems/${quiz.id}/lineitem?type_id=${sim.tool(clientId).typeId}`;
    const base = `/lti/api/courses/${instructor.courseUrlId}/bindings`;
    const { bindingId } = await enableAssessmentRule(instructor, tool.url, 'applied-data-analysis-python', {
      itemId,
      percent: 50,
    });

    // Sync and issue: the worker's jobs, in this process so their queries are captured too.
    blocking = createRedis(tool.config.REDIS_URL, 'worker', silentLogger());
    pipeline = createPipeline(tool.config, silentLogger(), tool.queues);
    workers = startWorkers(blocking, tool.config, silentLogger(), pipeline.handlers);
    expect((await api(`${base}/${bindingId}/sync`, { method: 'POST' })).status).toBe(202);
    await until(
      async () =>
        (await IssuanceRequest.countDocuments({ bindingId, state: 'issued' })) === qualified || undefined,
      `${qualified} credentials issued`,
      90_000,
    );

    // The dashboard again, with requests and credentials to show; a revocation; the learner's own view.
    expect((await instructor.browser.get(`${tool.url}/lti/courses/${instructor.courseUrlId}`)).status).toBe(
      200,
    );
    for (const path of ['progress', 'requests', 'requests.csv', 'dry-run', 'options']) {
      expect((await api(`${base}/${bindingId}/${path}`)).status).toBe(200);
    }
    const issued = (await IssuanceRequest.findOne({ bindingId, state: 'issued' }).lean())!;
    const revoked = await api(`${base}/${bindingId}/requests/${String(issued._id)}/status`, {
      method: 'POST',
      body: { status: 'revoked', reason: 'A test of the index review' },
    });
    expect(revoked.status).toBe(200);
    const learner = new Browser();
    const login = sim.loginRequest(clientId, issued.learnerId, '2');
    const form = readForm(await learner.get(`${login.url}?${new URLSearchParams(login.params)}`));
    expect((await learner.post(form.action, form.fields)).body).toContain('Learner');
    // The operator's overview of every institution's issuance.
    const operator = await consoleSession(tool.url, 'index-review');
    expect((await operator.get('/admin/queues')).status).toBe(200);
    census.stop();
    captured.push(...census.queries);

    // What was seen covers the paths under review.
    const collections = new Set(captured.map((q) => q.collection));
    for (const c of ['issuance_requests', 'grade_snapshots', 'credentials', 'course_bindings', 'statuslists'])
      expect(collections).toContain(c);

    const indexes = new Map<string, IndexKeys>();
    for (const c of collections) {
      const list = await mongoose.connection.db!.collection(c).indexes();
      indexes.set(
        c,
        list.map((i) => i.key as Record<string, unknown>),
      );
    }
    const unbounded = new Set<string>();
    for (const q of captured) {
      if (CONFIGURATION.has(q.collection)) continue;
      if (!servingIndex(q, indexes.get(q.collection) ?? [])) unbounded.add(describeQuery(q));
    }
    expect([...unbounded]).toEqual([]);
  }, 240_000);
});
