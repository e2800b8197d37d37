import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../../scripts/services/process.js';
import { databaseUri, uniqueName } from '../helpers/env.js';
import { startEntry, waitForStatus, type RunningProcess } from '../helpers/processes.js';

/** The two entry points as real processes: start, report ready with a worker connected, stop on SIGTERM. */
describe('web and worker processes', () => {
  const running: RunningProcess[] = [];
  afterAll(() => {
    for (const p of running) p.child.kill('SIGKILL');
  });

  it('start, report ready with a worker connected, and stop cleanly on SIGTERM', async () => {
    const [webPort, workerPort] = [await freePort(), await freePort()];
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      MONGODB_URI: databaseUri(uniqueName('proc')),
      REDIS_URL: process.env.REDIS_URL!,
      QUEUE_PREFIX: uniqueName('q'),
      PORT: String(webPort),
      WORKER_HEALTH_PORT: String(workerPort),
    };
    const web = startEntry('src/server.ts', env);
    const worker = startEntry('src/worker.ts', env);
    running.push(web, worker);

    const ready = (await waitForStatus(`http://127.0.0.1:${webPort}/readyz`, 200)) as Record<string, unknown>;
    expect(ready).toMatchObject({ status: 'ready', checks: { mongodb: { ok: true }, redis: { ok: true } } });
    const workerReady = (await waitForStatus(`http://127.0.0.1:${workerPort}/readyz`, 200)) as {
      queues: { name: string; running: boolean }[];
    };
    expect(workerReady.queues).toContainEqual({ name: 'maintenance', running: true });
    // The web process sees the worker's connection to the queues.
    const withWorker = (await waitUntil(async () => {
      const body = (await waitForStatus(`http://127.0.0.1:${webPort}/readyz`, 200)) as { workers: number };
      return body.workers >= 1 ? body : undefined;
    })) as { workers: number };
    expect(withWorker.workers).toBeGreaterThanOrEqual(1);

    web.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    for (const p of [web, worker]) {
      const lines = p
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string; level: string });
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    }
  }, 90_000);

  it('refuses to start with a message naming a missing or malformed setting', async () => {
    const web = startEntry('src/server.ts', { REDIS_URL: 'redis://127.0.0.1:1', PORT: 'http' });
    running.push(web);
    expect(await web.exited).toBe(1);
    expect(web.output()).toContain('MONGODB_URI is required but not set');
    expect(web.output()).toMatch(/PORT: /);
  }, 30_000);
});

async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}
