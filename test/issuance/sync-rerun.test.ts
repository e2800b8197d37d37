import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import type { CourseSnapshot, GradeSource } from '../../src/grades/source.js';
import type { CredentialOps } from '../../src/issuance/ports.js';
import { courseLaunched, enqueueSync, syncJobId } from '../../src/issuance/queueing.js';
import { gradeSyncProcessor } from '../../src/issuance/sync-job.js';
import { syncBinding } from '../../src/issuance/sync.js';
import { GradeSnapshot, IssuanceRequest } from '../../src/issuance/request-model.js';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createRedis } from '../../src/queue/redis.js';
import { silentLogger, testConfig } from '../helpers/env.js';

/**
 * A sync request that arrives while the binding's sync runs (an instructor imports grades mid-sync) is folded
 * by the queue into the running job, which must then read the course again: otherwise the new grades would
 * wait for the next scheduled sync.
 */
let queues: Queues;
let redis: ReturnType<typeof createRedis>;

beforeAll(async () => {
  const config = testConfig();
  await connectDatabase(config.MONGODB_URI, silentLogger());
  redis = createRedis(config.REDIS_URL, 'client', silentLogger());
  queues = createQueues(redis, config.QUEUE_PREFIX);
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await disconnectDatabase();
});

const noCredentials = {} as CredentialOps;
const emptyCourse: CourseSnapshot = {
  learners: [],
  options: [],
  evidence: new Map(),
  complete: true,
  problems: [],
};

async function binding(): Promise<string> {
  const id = new Types.ObjectId();
  await CourseBinding.collection.insertOne({
    _id: id,
    institutionId: 'u',
    platformId: 'p',
    deploymentId: 'd',
    contextId: `c-${String(id)}`,
    courseId: 'c1',
    templateId: 't',
    templateVersion: 1,
    issuerId: 'i',
    rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
    enabled: true,
    syncRequests: 1, // the request that queued this job
  });
  return String(id);
}

function processorWith(source: GradeSource) {
  return gradeSyncProcessor({
    queues,
    credentials: noCredentials,
    logger: silentLogger(),
    sourceFor: async () => source,
    activeDays: 30,
  });
}

const job = (bindingId: string) => ({ name: 'sync', data: { bindingId } }) as Job<{ bindingId?: string }>;

describe('grade sync requested while it runs', () => {
  it('reads the course again when a request arrived during the sync', async () => {
    const bindingId = await binding();
    let reads = 0;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const source: GradeSource = {
      kind: 'test',
      async snapshot() {
        reads++;
        if (reads === 1) await released; // the first read is in flight when the request arrives
        return emptyCourse;
      },
    };
    const running = processorWith(source)(job(bindingId));
    while (reads === 0) await new Promise((r) => setTimeout(r, 10));
    await enqueueSync(queues, bindingId);
    release();
    const summary = await running;
    expect(reads).toBe(2);
    expect(summary).toMatchObject({ status: 'ok' });
    expect((await CourseBinding.findById(bindingId).lean())!.sync?.status).toBe('ok');
  });

  it('reads the course once when nothing arrived', async () => {
    const bindingId = await binding();
    let reads = 0;
    const source: GradeSource = {
      kind: 'test',
      async snapshot() {
        reads++;
        return emptyCourse;
      },
    };
    await processorWith(source)(job(bindingId));
    expect(reads).toBe(1);
  });
});

describe('a launch asks for a sync of the course', () => {
  it('counts and queues a sync for each enabled binding of that course only, and marks them active', async () => {
    const [a, b, other, disabled] = [await binding(), await binding(), await binding(), await binding()];
    await CourseBinding.updateMany({ _id: { $in: [a, b, disabled] } }, { $set: { courseId: 'launched' } });
    await CourseBinding.updateOne({ _id: disabled }, { $set: { enabled: false } });
    const before = new Date(Date.now() - 1);
    await courseLaunched(queues, 'launched', 60_000);
    for (const id of [a, b]) {
      const doc = (await CourseBinding.findById(id).lean())!;
      expect(doc.syncRequests).toBe(2);
      expect(doc.lastActiveAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(await (await queues.gradeSync.getJob(syncJobId(id)))?.isDelayed()).toBe(true);
    }
    for (const id of [other, disabled]) {
      expect((await CourseBinding.findById(id).lean())!.syncRequests).toBe(1);
      expect(await queues.gradeSync.getJob(syncJobId(id))).toBeUndefined();
    }
  });
});

describe('an edited rule', () => {
  it('evaluates every learner again: a lowered threshold issues, a raised one leaves issued credentials alone', async () => {
    const bindingId = await binding();
    const rule = (needed: number) => ({
      outcomes: [
        {
          outcome: 0,
          evidence: [{ kind: 'assessment', itemId: 'q1', threshold: { unit: 'percent', value: needed } }],
        },
      ],
    });
    await CourseBinding.updateOne({ _id: bindingId }, { $set: { rule: rule(50) } });
    const grades: Record<string, number> = { ana: 80, ben: 45, eva: 30 };
    const source: GradeSource = {
      kind: 'scripted',
      snapshot: async () => ({
        learners: Object.keys(grades).map((id) => ({ id, name: id, gradable: true })),
        options: [{ id: 'q1', name: 'Quiz 1', kind: 'assessment' }],
        evidence: new Map(
          Object.entries(grades).map(([id, score]) => [
            id,
            { scores: { q1: { score, max: 100 } }, activities: {}, competencies: {} },
          ]),
        ),
        complete: true,
        problems: [],
      }),
    };
    const sync = async () =>
      syncBinding((await CourseBinding.findById(bindingId))!, source, {
        queues,
        credentials: noCredentials,
        logger: silentLogger(),
      });
    const requested = async () =>
      (await IssuanceRequest.find({ bindingId }, { learnerId: 1, state: 1 }).lean())
        .map((r) => `${r.learnerId}:${r.state}`)
        .sort();

    expect((await sync()).newRequests).toBe(1);
    expect(await requested()).toEqual(['ana:queued']);
    await IssuanceRequest.updateOne({ bindingId, learnerId: 'ana' }, { $set: { state: 'issued' } });
    // The grades did not change, the rule did: Ben now qualifies.
    await CourseBinding.updateOne({ _id: bindingId }, { $set: { rule: rule(40) } });
    const lowered = await sync();
    expect([lowered.changed, lowered.newRequests]).toEqual([3, 1]);
    expect(await requested()).toEqual(['ana:issued', 'ben:queued']);
    // Raised above Ana's grade: her credential stands (the regrade policy answers changed grades, not edits).
    await CourseBinding.updateOne({ _id: bindingId }, { $set: { rule: rule(90), regradePolicy: 'revoke' } });
    expect((await sync()).regraded).toBe(0);
    expect(await requested()).toEqual(['ana:issued', 'ben:queued']);
    // Each learner's progress is kept with the numbers the rule saw.
    const eva = (await GradeSnapshot.findById(`${bindingId}|eva`).lean())!;
    expect(eva.progress).toEqual({
      outcomes: [
        {
          outcome: 0,
          met: false,
          checks: [{ met: false, seen: { kind: 'percent', item: 'Quiz 1', percent: 30, needed: 90 } }],
        },
      ],
    });
    // Nothing changed at all: nobody is evaluated again.
    expect((await sync()).changed).toBe(0);
  });
});
