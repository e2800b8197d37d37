import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import express from 'express';
import request from 'supertest';
import { createQueues, queueNames, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { queueKeyPrefix } from '../../src/queue/redis-topology.js';
import { createRateLimits } from '../../src/web/rate-limits.js';
import {
  startCluster,
  startSentinel,
  type ClusterSetup,
  type SentinelSetup,
} from '../../scripts/services/redis-topologies.js';
import { silentLogger, testConfig, uniqueName } from '../helpers/env.js';
import { until } from '../helpers/wait.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker } from '../helpers/issuing.js';
import { startTool } from '../helpers/tool.js';

/**
 * The queues, the rate limits and the issuer broadcast on the two topologies beyond one server, started for real
 * from Debian's redis-server: a Redis Cluster of three primaries (each queue's keys in one slot, the queues spread
 * over the nodes) and a Sentinel-watched primary that dies and is replaced mid-run. Each job is counted: every one
 * processed, none twice.
 */
const logger = silentLogger();
let dir: string;
const closing: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credbridge-redis-'));
});

afterAll(async () => {
  for (const close of closing.reverse()) await close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}, 120_000);

async function ready(redis: RedisClient) {
  if (redis.status !== 'ready') await once(redis, 'ready');
}

/** BullMQ workers on every queue that count each job they process, as the worker process's registry runs them. */
function countingWorkers(connection: RedisClient, prefix: string) {
  const processed = new Map<string, number>();
  const workers = Object.values(queueNames).map(
    (name) =>
      new Worker(
        name,
        async (job) => {
          const key = `${name}:${job.id}`;
          processed.set(key, (processed.get(key) ?? 0) + 1);
        },
        { connection, prefix: queueKeyPrefix(prefix, name), concurrency: 4 },
      ),
  );
  for (const w of workers) w.on('error', () => undefined);
  closing.push(() => Promise.all(workers.map((w) => w.close())));
  return processed;
}

async function addJobs(queues: Queues, from: number, count: number) {
  for (const queue of queues.all())
    for (let i = from; i < from + count; i++) await queue.add('job', { i }, { jobId: `job-${i}` });
}

describe('Redis Cluster', () => {
  let cluster: ClusterSetup;
  let client: RedisClient;
  let blocking: RedisClient;
  const prefix = uniqueName('q');

  beforeAll(async () => {
    cluster = await startCluster(join(dir, 'cluster'), 3);
    closing.push(() => cluster.stop());
    client = createRedis(cluster.url, 'client', logger);
    blocking = createRedis(cluster.url, 'worker', logger);
    closing.push(async () => (client.disconnect(), blocking.disconnect()));
    await Promise.all([ready(client), ready(blocking)]);
  }, 60_000);

  it('runs every queue: each queue’s keys in one slot, the queues over several nodes, each job once', async () => {
    const queues = createQueues(client, prefix, logger);
    closing.push(() => queues.close());
    const processed = countingWorkers(blocking, prefix);
    await addJobs(queues, 0, 25);
    await until(async () => (processed.size === 100 ? true : undefined), '100 jobs', 30_000);
    expect([...processed.values()].every((n) => n === 1)).toBe(true);

    // Where the keys went: one slot per queue, and not every queue on the same one.
    const slotOf = async (key: string) => Number(await client.call('CLUSTER', 'KEYSLOT', key));
    const issue = queueKeyPrefix(prefix, 'issue');
    expect(await slotOf(`${issue}:issue:wait`)).toBe(await slotOf(`${issue}:issue:job-1`));
    const slots = await Promise.all(
      Object.values(queueNames).map((name) => slotOf(`${queueKeyPrefix(prefix, name)}:${name}:wait`)),
    );
    expect(new Set(slots).size).toBeGreaterThan(1);
    // Without the hash tag, BullMQ's multi-key scripts cannot run on a cluster at all.
    const untagged = new Queue('issue', { connection: client, prefix });
    untagged.on('error', () => undefined);
    closing.push(() => untagged.close());
    await expect(untagged.add('job', {})).rejects.toThrow(/CROSSSLOT|slot/i);
  }, 60_000);

  it('carries the whole tool: a web and a worker process on the cluster issue credentials', async () => {
    const tool = await startTool({ REDIS_URL: cluster.url, ISSUE_BACKOFF_MS: '200' });
    closing.push(() => tool.close());
    await tool.startWorker();
    const { institutionId, issuer } = await createTestInstitution(tool);
    const key = await publishExampleTemplate(institutionId);
    const issued = await issueThroughWorker(tool, await bindCourse(institutionId, issuer._id, key), [
      { id: 'cl-1', name: 'Clara Lima' },
      { id: 'cl-2', name: 'Caio Lopes' },
    ]);
    expect(issued.size).toBe(2);
    const ready = await fetch(`${tool.url}/readyz`);
    expect(ready.status).toBe(200);
  }, 120_000);

  it('keeps the rate limits in the cluster, shared by every web process', async () => {
    // No script loaded anywhere yet each time, and counters under several prefixes, so their keys fall on several
    // nodes: the limiter's script must be found on whichever primary holds a counter (loaded on one random node,
    // it was missing there two times in three, and counting failed open).
    for (const name of 'abcdefghij') {
      for (const node of (client as Cluster).nodes('master')) await node.call('SCRIPT', 'FLUSH');
      const config = testConfig({ RATE_LIMIT_VERIFY_PER_MINUTE: '3', QUEUE_PREFIX: `${prefix}-${name}` });
      const app = () => {
        const limits = createRateLimits(config, client, logger);
        return express().post('/verify', limits.verify, (_req, res) => void res.json({ ok: true }));
      };
      const [one, two] = [app(), app()];
      const statuses = [];
      for (const web of [one, two, one, two]) statuses.push((await request(web).post('/verify')).status);
      expect({ name, statuses }).toEqual({ name, statuses: [200, 200, 200, 429] });
    }
  }, 30_000);
});

describe('Redis Sentinel', () => {
  let sentinel: SentinelSetup;

  beforeAll(async () => {
    sentinel = await startSentinel(join(dir, 'sentinel'));
    closing.push(() => sentinel.stop());
  }, 60_000);

  it('follows a failover: jobs before and after the primary dies are each processed once', async () => {
    const client = createRedis(sentinel.url, 'client', logger);
    const blocking = createRedis(sentinel.url, 'worker', logger);
    closing.push(async () => (client.disconnect(), blocking.disconnect()));
    await Promise.all([ready(client), ready(blocking)]);
    const prefix = uniqueName('q');
    const queues = createQueues(client, prefix, logger);
    closing.push(() => queues.close());
    const processed = countingWorkers(blocking, prefix);
    await addJobs(queues, 0, 10);
    await until(async () => (processed.size === 40 ? true : undefined), 'the first 40 jobs', 30_000);
    // Let the replica catch up, then kill the primary: the sentinels promote the replica.
    await until(
      async () => ((await client.call('WAIT', '1', '1000')) === 1 ? true : undefined),
      'the replica to acknowledge',
      10_000,
    );
    expect(await sentinel.primaryPort()).toBe(sentinel.primary.port);
    sentinel.primary.kill();
    // The replica is the only candidate; on a loaded machine the election can take a few rounds.
    await until(
      async () =>
        (await sentinel.primaryPort().catch(() => undefined)) === sentinel.replica.port ? true : undefined,
      'the sentinels to promote the replica',
      60_000,
      () => sentinel.primaryPort().catch((e: Error) => e.message),
    );
    // A producer fails fast while Redis is away (the web answers 503); once it follows the new primary, it adds.
    await until(
      async () => {
        try {
          await addJobs(queues, 10, 10);
          return true;
        } catch {
          return undefined;
        }
      },
      'adding jobs on the new primary',
      30_000,
    );
    await until(async () => (processed.size === 80 ? true : undefined), 'all 80 jobs', 30_000);
    expect([...processed.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);
});
