import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose, { Types } from 'mongoose';
import { enableTemplate } from '../../src/courses/bindings.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { Credential } from '../../src/credentials/credential-model.js';
import { findCredentials } from '../../src/credentials/credential-store.js';
import { verifyCredential } from '../../src/credentials/verifier.js';
import { enqueueSync } from '../../src/issuance/queueing.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { installationVerification, type InstallationVerification } from '../../src/issuers/recognition.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { findFerretDB, startFerretDB, startMongoMemoryServer } from '../../scripts/services/ferretdb.js';
import { findRedisServer, startRedis } from '../../scripts/services/redis.js';
import type { ServiceHandle } from '../../scripts/services/types.js';
import type { RunningProcess } from '../helpers/processes.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import {
  createTestInstitution,
  publishExampleTemplate,
  registerThroughLink,
} from '../helpers/institution.js';
import { PlatformSimulator, type SimLineItem } from '../simulator/platform.js';

/**
 * The world a failure drill breaks: private MongoDB-compatible server and Redis (stopped, flushed and
 * restarted at will without touching any other test), the web app in this process, real worker processes,
 * and the LTI platform simulator as the LMS. A batch is one course of N learners who all qualify, synced
 * through the worker exactly as in production.
 */
export interface Batch {
  label: string;
  bindingId: string;
  learners: string[];
  courseId: string;
  quiz: SimLineItem;
}

export interface Tally {
  learners: number;
  issued: number;
  open: number;
  failed: number;
  credentials: number;
  duplicateLearners: number;
  missing: number;
  verified: number;
  verifyFailures: number;
}

export interface DrillWorld {
  tool: ToolUnderTest;
  sim: PlatformSimulator;
  db: ServiceHandle;
  redis: ServiceHandle;
  workers: RunningProcess[];
  startWorkers(n: number): Promise<RunningProcess[]>;
  /** A new course of `learners` qualifying learners with its binding; not synced yet. */
  newBatch(label: string, learners: number): Promise<Batch>;
  sync(batch: Batch): Promise<void>;
  /** Resolves once `count` requests of the batch are issued (or the timeout passes). */
  waitIssued(batch: Batch, count: number, timeoutMs: number): Promise<void>;
  /** Polls until no request of the batch is open; fails after `timeoutMs`. */
  settle(batch: Batch, timeoutMs: number): Promise<Tally>;
  /** When the last settle saw the batch done (or gave up). */
  settledAt: number;
  /** Issued requests of the batch now. */
  issued(batch: Batch): Promise<number>;
  /** What the open requests of a batch are stuck in: request state, BullMQ job state, credential stored. */
  stuck(batch: Batch): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const randomBetween = (min: number, max: number) => min + randomInt(Math.max(1, max - min));

export async function startDrillWorld(
  options: {
    log?: (line: string) => void;
    env?: Record<string, string>;
    /** FerretDB over this PostgreSQL database instead of SQLite files (for the large runs). */
    postgresqlUrl?: string;
    /** Redis as the caller started it (a cluster, Sentinel) instead of a private single server. */
    redis?: ServiceHandle;
  } = {},
): Promise<DrillWorld> {
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'credbridge-drill-'));
  const redis = options.redis ?? (await startRedis(await findRedisServer(log), join(dir, 'redis')));
  const ferret = await findFerretDB(log);
  const db = ferret
    ? await startFerretDB(ferret, join(dir, 'db'), options.postgresqlUrl)
    : await startMongoMemoryServer(join(dir, 'db'));
  // A name of its own: a PostgreSQL-backed store outlives the drill's directory.
  const database = `drills_${randomBytes(4).toString('hex')}`;
  const tool = await startTool({
    MONGODB_URI: db.url.replace(/\/[^/]*$/, `/${database}`),
    REDIS_URL: redis.url,
    // Recovery in seconds, not minutes: short job locks, claim timeouts and reconciler passes, quick backoff.
    ISSUE_ATTEMPTS: '10',
    ISSUE_BACKOFF_MS: '250',
    ISSUE_CLAIM_TIMEOUT_MS: '3000',
    RECONCILE_INTERVAL_MS: '1000',
    JOB_LOCK_MS: '2000',
    DB_RECONNECT_AFTER_MS: '3000',
    WORKER_CONCURRENCY: '4',
    SHUTDOWN_TIMEOUT_MS: '20000',
    LMS_REQUESTS_PER_SECOND: '200',
    LMS_TIMEOUT_MS: '1000',
    ...options.env,
  });
  // The in-process queues lose Redis on purpose; their connection errors are expected, not news.
  for (const queue of tool.queues.all()) queue.on('error', () => undefined);
  const sim = await new PlatformSimulator().start();
  const { institutionId } = await createTestInstitution(tool, { id: 'drill-university' });
  const { clientId } = await registerThroughLink(sim, tool.url, institutionId);
  const platform = (await LtiPlatform.findOne({ issuer: sim.issuer }).lean())!;
  const templateKey = await publishExampleTemplate(institutionId);
  const verification = installationVerification({ PUBLIC_URL: tool.url, TRUSTED_ISSUERS: [] });
  let nextCourse = 100;
  const workers: RunningProcess[] = [];
  const services = `${sim.url}/mod/lti/services.php`;

  const openCount = (bindingId: string) =>
    IssuanceRequest.countDocuments({ bindingId, state: { $in: ['queued', 'signing'] } });

  const world: DrillWorld = {
    tool,
    sim,
    db,
    redis,
    workers,
    async startWorkers(n) {
      const started = await Promise.all(Array.from({ length: n }, () => tool.startWorker()));
      workers.push(...started);
      if (process.env.DRILL_LOG_DIR)
        for (const w of started)
          void w.exited.then(() =>
            writeFile(`${process.env.DRILL_LOG_DIR}/worker-${w.child.pid}.log`, w.output()),
          );
      return started;
    },
    async newBatch(label, learners) {
      const courseId = String(nextCourse++);
      const typeId = sim.tool(clientId).typeId;
      sim.addCourse(courseId, `Drill ${label}`);
      const quiz = sim.addLineItem(courseId, 'Quiz', { clientId, scoreMaximum: 100 });
      const ids = Array.from({ length: learners }, (_, i) => `${label}-${i}`);
      for (const id of ids) {
        sim.addUser(id, `Learner ${id}`);
        sim.enrol(courseId, id, 'Learner');
        sim.grade(quiz.id, id, 60 + (ids.indexOf(id) % 40));
      }
      const binding = await enableTemplate(
        {
          institutionId,
          courseId: new Types.ObjectId().toHexString(),
          platformId: String(platform._id),
          deploymentId: platform.deploymentIds[0] ?? '1',
          contextId: courseId,
          title: `Drill ${label}`,
          lineItemsUrl: `${services}/${courseId}/lineitems?type_id=${typeId}`,
          membershipsUrl: `${services}/CourseSection/${courseId}/bindings/${typeId}/memberships`,
        },
        {
          templateKey,
          rule: {
            outcomes: [
              {
                outcome: 0,
                evidence: [
                  {
                    kind: 'assessment',
                    itemId: `${services}/${courseId}/lineitems/${quiz.id}/lineitem?type_id=${typeId}`,
                    threshold: { unit: 'percent', value: 50 },
                  },
                ],
              },
            ],
          },
        },
      );
      return { label, bindingId: String(binding._id), learners: ids, courseId, quiz };
    },
    async sync(batch) {
      await enqueueSync(tool.queues, batch.bindingId);
    },
    async waitIssued(batch, count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const issued = await world.issued(batch).catch(() => 0);
        if (issued >= count) return;
        await sleep(100);
      }
    },
    async settle(batch, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [issued, open] = await Promise.all([world.issued(batch), openCount(batch.bindingId)]).catch(
          () => [0, 1],
        );
        if (issued >= batch.learners.length && open === 0) break;
        if (Date.now() > deadline) break;
        await sleep(300);
      }
      world.settledAt = Date.now();
      return tally(batch, verification);
    },
    settledAt: 0,
    issued(batch) {
      return IssuanceRequest.countDocuments({ bindingId: batch.bindingId, state: 'issued' });
    },
    async stuck(batch) {
      const open = await IssuanceRequest.find(
        { bindingId: batch.bindingId, state: { $in: ['queued', 'signing'] } },
        { state: 1 },
      ).lean();
      const stored = new Set(
        (await Credential.find({ _id: { $in: open.map((r) => r._id) } }, { _id: 1 }).lean()).map((c) =>
          String(c._id),
        ),
      );
      const seen: Record<string, number> = {};
      for (const r of open) {
        const job = await tool.queues.issue.getJob(String(r._id));
        const key = `${r.state}/${job ? await job.getState() : 'no job'}/${stored.has(String(r._id)) ? 'stored' : 'unsigned'}`;
        seen[key] = (seen[key] ?? 0) + 1;
      }
      return seen;
    },
    async close() {
      if (options.postgresqlUrl) await mongoose.connection.dropDatabase().catch(() => undefined);
      await tool.close();
      await sim.stop();
      await redis.stop().catch(() => undefined);
      await db.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/**
 * Exactly once, counted from both sides: every learner has one request, every issued request one stored
 * credential under its id, no credential exists without a request, and a sample verifies (signature,
 * status, expiry) in both formats.
 */
async function tally(batch: Batch, verification: InstallationVerification): Promise<Tally> {
  const requests = await IssuanceRequest.find(
    { bindingId: batch.bindingId },
    { learnerId: 1, state: 1 },
  ).lean();
  const ids = requests.map((r) => String(r._id));
  const byLearner = new Map<string, number>();
  for (const r of requests) byLearner.set(r.learnerId, (byLearner.get(r.learnerId) ?? 0) + 1);
  const credentials = await Credential.find({ _id: { $in: ids } }, { _id: 1 }).lean();
  const sample = await findCredentials({ ids }, 20);
  let verified = 0;
  let verifyFailures = 0;
  for (const c of sample) {
    for (const doc of [c.ob3, c.elm]) {
      if ((await verifyCredential(doc, verification)).verified) verified++;
      else verifyFailures++;
    }
  }
  return {
    learners: batch.learners.length,
    issued: requests.filter((r) => r.state === 'issued').length,
    open: requests.filter((r) => r.state === 'queued' || r.state === 'signing').length,
    failed: requests.filter((r) => r.state === 'failed').length,
    credentials: credentials.length,
    duplicateLearners: [...byLearner.values()].filter((n) => n > 1).length,
    missing: batch.learners.filter((l) => !byLearner.has(l)).length,
    verified,
    verifyFailures,
  };
}

/** The whole database: no credential without its request (a duplicate would be one). */
export async function orphanCredentials(): Promise<number> {
  const requestIds = new Set((await IssuanceRequest.find({}, { _id: 1 }).lean()).map((r) => String(r._id)));
  const all = await Credential.find({}, { _id: 1 }).lean();
  return all.filter((c) => !requestIds.has(String(c._id))).length;
}

export async function bindingSync(batch: Batch) {
  return (await CourseBinding.findById(batch.bindingId).lean())?.sync;
}
