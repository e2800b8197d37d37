import { once } from 'node:events';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/env.js';
import { createQueues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { createApp } from '../../src/web/app.js';
import { freePort } from '../../scripts/services/process.js';
import { silentLogger } from '../helpers/env.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Rate limits over HTTP: login, public verify (API and form) and the VC API answer 429 with a JSON error and
 * Retry-After once a client passes its budget; the count lives in Redis, so a second web process sharing it
 * sees the same budget; RATE_LIMIT_DISABLED turns them off; a lost Redis lets requests through.
 */
let tool: ToolUnderTest;
const extra: { server: Server; close(): Promise<void> }[] = [];

async function secondProcess(env: Record<string, string>, options: { redisLost?: boolean } = {}) {
  const config = loadConfig({ ...env });
  const logger = silentLogger();
  const redis = createRedis(env.REDIS_URL!, 'client', logger);
  redis.on('error', () => undefined);
  await ready(redis);
  if (options.redisLost) redis.disconnect(); // every command now fails at once, as with Redis gone
  const queues = createQueues(redis, config.QUEUE_PREFIX);
  for (const q of queues.all()) q.on('error', () => undefined);
  const port = await freePort();
  const server = createApp({ config, logger, redis, queues }).listen(port, '127.0.0.1');
  await once(server, 'listening');
  const handle = {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      if (!options.redisLost) await queues.close();
      redis.disconnect();
    },
  };
  extra.push(handle);
  return handle;
}

/** Counting starts once the app's Redis client is connected; until then requests pass (fail open). */
async function ready(redis: RedisClient) {
  if (redis.status !== 'ready') await once(redis, 'ready');
}

beforeAll(async () => {
  tool = await startTool({
    RATE_LIMIT_LOGIN_PER_MINUTE: '3',
    RATE_LIMIT_VERIFY_PER_MINUTE: '4',
    RATE_LIMIT_VC_API_PER_MINUTE: '3',
  });
  await ready(tool.redis);
}, 60_000);
afterAll(async () => {
  for (const e of extra) await e.close();
  await tool?.close();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function expectLimited(res: Response) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('rate_limited');
  expect(body.error.message).toMatch(/try again in \d+ s/);
}

describe('rate limits', () => {
  it('public verify: the API and the form share one budget per address, then 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await post(`${tool.url}/credentials/verify`, {})).status);
    for (let i = 0; i < 2; i++) {
      const form = await fetch(`${tool.url}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'credential=%7B%7D',
      });
      statuses.push(form.status);
    }
    expect(statuses).not.toContain(429);
    await expectLimited(await post(`${tool.url}/credentials/verify`, {}));
    await expectLimited(
      await fetch(`${tool.url}/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'credential=%7B%7D',
      }),
    );
    // Reading is not limited.
    expect((await fetch(`${tool.url}/verify`)).status).toBe(200);
  });

  it('VC API: issue and status count together, with or without a valid token', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const seen = [
      (await post(`${tool.url}/credentials/issue`, {}, auth)).status,
      (await post(`${tool.url}/credentials/status`, {}, auth)).status,
      (await post(`${tool.url}/credentials/issue`, {})).status,
    ];
    expect(seen).not.toContain(429);
    await expectLimited(await post(`${tool.url}/credentials/status`, {}, auth));
  });

  it('admin login: limited per address before any password is checked', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await post(`${tool.url}/admin/login`, { username: 'a', password: 'b' });
      expect(res.status).not.toBe(429);
    }
    await expectLimited(await post(`${tool.url}/admin/login`, { username: 'a', password: 'b' }));
  });

  it('the budget is kept in Redis: a second web process sees what the first counted', async () => {
    const other = await secondProcess(tool.env);
    // The first process already used the whole verify budget of this address above.
    await expectLimited(await post(`${other.url}/credentials/verify`, {}));
  });

  it('RATE_LIMIT_DISABLED=true turns every limit off', async () => {
    const open = await secondProcess({
      ...tool.env,
      QUEUE_PREFIX: `${tool.env.QUEUE_PREFIX}-off`,
      RATE_LIMIT_DISABLED: 'true',
      RATE_LIMIT_VERIFY_PER_MINUTE: '1',
    });
    for (let i = 0; i < 5; i++)
      expect((await post(`${open.url}/credentials/verify`, {})).status).not.toBe(429);
  });

  it('without Redis requests pass instead of failing (the limits fail open)', async () => {
    const lost = await secondProcess(
      { ...tool.env, QUEUE_PREFIX: `${tool.env.QUEUE_PREFIX}-lost`, RATE_LIMIT_VERIFY_PER_MINUTE: '1' },
      { redisLost: true },
    );
    for (let i = 0; i < 3; i++) {
      const res = await post(`${lost.url}/credentials/verify`, {});
      expect([400, 422]).toContain(res.status);
    }
  });

  it('the counters do not leak into other keys: only this installation prefix is used', async () => {
    const probe = new Redis(tool.env.REDIS_URL!);
    const keys = await probe.keys(`${tool.env.QUEUE_PREFIX}:rl:*`);
    probe.disconnect();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => /:rl:(login|verify|vc-api):/.test(k))).toBe(true);
  });
});
