import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { createApp } from '../../src/web/app.js';
import { startLocalServices, type LocalServices } from '../../scripts/services/index.js';
import { silentLogger, testConfig } from '../helpers/env.js';

/**
 * The web app's health endpoints against private FerretDB and Redis servers that this test starts with the
 * project's own services helper, so it can stop them.
 */
describe('health endpoints', () => {
  let dataDir: string;
  let services: LocalServices;
  let redis: RedisClient;
  let queues: Queues;
  let app: Express;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'credbridge-readiness-'));
    services = await startLocalServices({ dataDir, isolated: true, log: () => undefined });
    const config = testConfig({ ...services.env, READINESS_TIMEOUT_MS: '1000' });
    const logger = silentLogger();
    await connectDatabase(config.MONGODB_URI, logger);
    redis = createRedis(config.REDIS_URL, 'client', logger);
    queues = createQueues(redis, config.QUEUE_PREFIX);
    app = createApp({ config, logger, redis, queues });
  }, 300_000);

  afterAll(async () => {
    await queues?.close();
    redis?.disconnect();
    await disconnectDatabase();
    await services?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports liveness without touching dependencies', async () => {
    const res = await request(app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready when MongoDB and Redis answer', async () => {
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks).toEqual({ mongodb: { ok: true }, redis: { ok: true } });
    expect(res.body.workers).toBe(0);
  });

  it('names Redis when Redis is down, and recovers without a restart', async () => {
    await services.redis!.stop();
    const down = await request(app).get('/readyz').expect(503);
    expect(down.body.checks.redis.ok).toBe(false);
    expect(down.body.checks.mongodb.ok).toBe(true);
    expect(down.body.message).toMatch(/^not ready: redis unavailable/);

    await services.redis!.start();
    await waitUntilReady(app);
  });

  it('names MongoDB when MongoDB is down, and recovers without a restart', async () => {
    await services.mongodb!.stop();
    const down = await request(app).get('/readyz').expect(503);
    expect(down.body.checks.mongodb.ok).toBe(false);
    expect(down.body.checks.redis.ok).toBe(true);
    expect(down.body.message).toMatch(/^not ready: mongodb unavailable/);

    await services.mongodb!.start();
    await waitUntilReady(app);
  }, 60_000);

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(app).get('/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('refuses operator keys in a body, naming the field', async () => {
    const res = await request(app)
      .post('/nope')
      .send({ learner: { $gt: '' } })
      .expect(400);
    expect(res.body.error.message).toContain('learner.$gt');
  });

  it('refuses an oversized body with 413', async () => {
    const res = await request(app)
      .post('/nope')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ big: 'x'.repeat(300_000) }))
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });
});

async function waitUntilReady(app: Express): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await request(app).get('/readyz');
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`still not ready: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
