import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { Types } from 'mongoose';
import { enqueueIssue } from '../../src/issuance/queueing.js';
import { reportQueues } from '../../src/metrics/collectors.js';
import { metricsRouter } from '../../src/metrics/routes.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import { bindCourse, issueThroughWorker } from '../helpers/issuing.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * /metrics as Prometheus scrapes it, on the web port and the worker's health port: closed without the token, and
 * the numbers moving with what happens (a backlog that rises and falls, credentials issued, verifications and
 * their verdicts, rate-limit refusals), read from the exposition text as a scraper reads it.
 */
const TOKEN = 'metrics-token-for-the-test-0123456789';
let tool: ToolUnderTest;
let stopReporting: () => void;

beforeAll(async () => {
  tool = await startTool({
    METRICS_TOKEN: TOKEN,
    RATE_LIMIT_VERIFY_PER_MINUTE: '4',
    ISSUE_BACKOFF_MS: '200',
  });
  stopReporting = reportQueues(() => tool.queues.all()); // as src/server.ts does
}, 60_000);

afterAll(async () => {
  stopReporting?.();
  await tool?.close();
});

/** The samples of one metric in Prometheus text, as `labels -> value` (labels as written, e.g. `{state="issued"}`). */
async function scrape(
  url: string,
): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const samples = [...text.matchAll(/^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/gm)].map((m) => ({
    name: m[1]!,
    labels: Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!])),
    value: Number(m[3]),
  }));
  return (name, labels = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;
}

describe('/metrics', () => {
  it('answers only the bearer of METRICS_TOKEN, and nothing at all without the setting', async () => {
    expect((await fetch(`${tool.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${tool.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const off = express().use(metricsRouter(undefined));
    expect((await request(off).get('/metrics').set('authorization', `Bearer ${TOKEN}`)).status).toBe(404);
    const metric = await scrape(tool.url);
    // The process itself: memory and event-loop lag.
    expect(metric('credbridge_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metric('credbridge_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('counts verifications by verdict, and the refusals of the rate limit', async () => {
    const before = (await scrape(tool.url))('credbridge_verifications_total', {
      kind: 'credential',
      verdict: 'not-verified',
    });
    const verify = () =>
      fetch(`${tool.url}/credentials/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'] },
        }),
      });
    expect((await verify()).status).toBe(400);
    const metric = await scrape(tool.url);
    expect(metric('credbridge_verifications_total', { kind: 'credential', verdict: 'not-verified' })).toBe(
      (before ?? 0) + 1,
    );
    // The budget is 4 a minute: the fifth within the minute is refused, and counted.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await verify()).status);
    expect(statuses).toContain(429);
    expect(
      (await scrape(tool.url))('credbridge_rate_limited_total', { limit: 'verify' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('shows a backlog rise and fall, then the credentials the worker issued', async () => {
    // Jobs waiting with no worker yet: the issue queue's backlog and the age of its oldest job.
    const strays = [0, 1, 2].map(() => new Types.ObjectId().toHexString());
    await enqueueIssue(tool.queues, strays);
    await new Promise((r) => setTimeout(r, 1100));
    const waiting = await scrape(tool.url);
    expect(waiting('credbridge_queue_jobs', { queue: 'issue', state: 'waiting' })).toBeGreaterThanOrEqual(3);
    expect(waiting('credbridge_queue_oldest_waiting_seconds', { queue: 'issue' })).toBeGreaterThanOrEqual(1);

    const worker = await tool.startWorker();
    const { institutionId, issuer } = await createTestInstitution(tool);
    const key = await publishExampleTemplate(institutionId);
    await issueThroughWorker(tool, await bindCourse(institutionId, issuer._id, key), [
      { id: 'm-1', name: 'Mia Moreira' },
      { id: 'm-2', name: 'Nuno Neves' },
    ]);
    const drained = await scrape(tool.url);
    expect(drained('credbridge_queue_jobs', { queue: 'issue', state: 'waiting' })).toBe(0);
    expect(drained('credbridge_queue_oldest_waiting_seconds', { queue: 'issue' })).toBe(0);
    expect(drained('credbridge_issuance_requests', { state: 'issued' })).toBeGreaterThanOrEqual(2);
    // The worker's own numbers, on its health port with the same token.
    const fromWorker = await scrape(worker.healthUrl);
    expect(fromWorker('credbridge_credentials_issued_total')).toBe(2);
    expect(fromWorker('credbridge_issue_duration_seconds_count', { outcome: 'issued' })).toBe(2);
  }, 120_000);
});
