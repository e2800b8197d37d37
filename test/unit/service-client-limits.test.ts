import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LtiServiceError } from '../../src/lti/errors.js';
import type { PlatformDoc } from '../../src/lti/models.js';
import { KeyedRateLimiter, retryAfterMs } from '../../src/lti/rate-limiter.js';
import { ServiceClient } from '../../src/lti/service-client.js';
import { lmsRequests, lmsRequestSeconds } from '../../src/metrics/metrics.js';
import { configureOutbound } from '../../src/net/outbound.js';
import type { ServiceTokens } from '../../src/lti/service-token.js';
import { FaultInjector } from '../simulator/faults.js';

/** The LTI service client against a small LMS stand-in whose failure switches are the simulator's. */
let server: Server;
let base: string;
const faults = new FaultInjector();
const arrivals: { platform: string; at: number }[] = [];
let tokenRequests = 0;
const tokens = {
  get: async () => {
    tokenRequests++;
    return 'token';
  },
  invalidate: () => undefined,
} as unknown as ServiceTokens;
/** A platform registered at the stand-in's origin. */
const platform = (id: string) =>
  ({
    _id: id,
    issuer: base,
    authLoginUrl: `${base}/auth`,
    tokenUrl: `${base}/token`,
    jwksUrl: `${base}/jwks`,
  }) as unknown as PlatformDoc;

beforeAll(async () => {
  configureOutbound({ allowPrivateHosts: ['127.0.0.1', 'localhost'] }); // the LMS stand-in below, by either name
  const app = express();
  app.use((req, _res, next) => {
    arrivals.push({ platform: String(req.query.p), at: Date.now() });
    next();
  });
  app.use(faults.middleware);
  app.get('/members', (_req, res) => res.json({ members: [{ user_id: '1' }] }));
  app.post('/scores', (_req, res) => res.json({}));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The first request of a fresh HTTP client loads and compiles its parser: not what the timings below measure.
  await new ServiceClient(platform('warm-up'), tokens).call('GET', `${base}/members`, [], 'application/json');
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  faults.clear();
  arrivals.length = 0;
});

const client = (id = 'p1', limiter = new KeyedRateLimiter(1000), extra = {}) =>
  new ServiceClient(platform(id), tokens, { limiter, backoffMs: 20, timeoutMs: 300, ...extra });
const get = (c: ServiceClient, p = 'p1') =>
  c.call<{ members: unknown[] }>('GET', `${base}/members?p=${p}`, [], 'application/json');

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe("ServiceClient sends tokens only to the platform's origins", () => {
  it('refuses a URL on another origin before asking for a token, and without sending anything', async () => {
    tokenRequests = 0;
    const elsewhere = base.replace('127.0.0.1', 'localhost');
    await expect(
      client().call('POST', `${elsewhere}/scores?p=sink`, [], 'application/json', {
        type: 'application/json',
        data: {},
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(tokenRequests).toBe(0);
    expect(arrivals).toEqual([]);
  });

  it('accepts the origins a signed launch named for the services', async () => {
    const elsewhere = base.replace('127.0.0.1', 'localhost');
    const p = { ...platform('p1'), serviceOrigins: [new URL(elsewhere).origin] } as unknown as PlatformDoc;
    const c = new ServiceClient(p, tokens, { limiter: new KeyedRateLimiter(1000), timeoutMs: 300 });
    await expect(c.call('GET', `${elsewhere}/members?p=p1`, [], 'application/json')).resolves.toMatchObject({
      body: { members: [{ user_id: '1' }] },
    });
  });
});

describe('ServiceClient under LMS trouble', () => {
  it('waits out a 429 for its Retry-After, and the whole platform waits with it', async () => {
    faults.inject(/members/, { kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const c = client();
    const started = Date.now();
    const [a, b] = await Promise.all([
      get(c),
      (async () => {
        // Started once the first request has met the 429 (not at a fixed time: under load its round trip is slow).
        while (arrivals.length === 0) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 150));
        return get(c);
      })(),
    ]);
    expect(a.body.members).toHaveLength(1);
    expect(b.body.members).toHaveLength(1);
    // The first request is answered after the pause; the second, started during it, did not go out early.
    const afterPause = arrivals.slice(1);
    expect(afterPause.every((x) => x.at - started >= 950)).toBe(true);
    expect(arrivals).toHaveLength(3);
  });

  it('fails at once, saying so, when the LMS asks for a longer wait than a worker should hold', async () => {
    faults.inject(/members/, { kind: 'status', status: 429, headers: { 'retry-after': '600' } });
    const started = Date.now();
    const err = (await get(client()).catch((e: unknown) => e)) as LtiServiceError;
    expect(err).toBeInstanceOf(LtiServiceError);
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/wait 600 s/);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('retries a read after 5xx with backoff; a write is not repeated', async () => {
    faults.inject(/members/, { kind: 'status', status: 500 }, 2);
    expect((await get(client())).body.members).toHaveLength(1);
    expect(arrivals).toHaveLength(3);

    faults.inject(/scores/, { kind: 'status', status: 503 });
    await expect(
      client().call('POST', `${base}/scores?p=p1`, [], 'application/json', {
        type: 'application/json',
        data: {},
      }),
    ).rejects.toMatchObject({ status: 503 });
  });

  it('gives up after its retries with the last status, for the instructor to see', async () => {
    faults.inject(/members/, { kind: 'status', status: 502, body: { reason: 'bad gateway' } }, 10);
    await expect(get(client('p1', undefined, { maxRetries: 2 }))).rejects.toThrow('502 bad gateway');
    expect(arrivals).toHaveLength(3);
  });

  it('turns a hang into a retried timeout, then a 504', async () => {
    faults.inject(/members/, { kind: 'hang', ms: 2000 }, 1);
    expect((await get(client())).body.members).toHaveLength(1);
    faults.inject(/members/, { kind: 'hang', ms: 2000 }, 10);
    await expect(get(client('p1', undefined, { maxRetries: 1 }))).rejects.toMatchObject({
      status: 504,
      message: expect.stringMatching(/no answer/),
    });
  });

  it('refuses a malformed page instead of reading it as a shorter roster', async () => {
    faults.inject(/members/, { kind: 'malformed', body: '<html>proxy error</html>' });
    await expect(get(client())).rejects.toMatchObject({
      status: 502,
      message: expect.stringMatching(/malformed/),
    });
    faults.inject(/members/, { kind: 'malformed', body: '{"members":"oops"}' });
    await expect(
      client().all(
        `${base}/members?p=p1`,
        [],
        'application/json',
        (page: { members: unknown[] }) => page.members,
      ),
    ).rejects.toMatchObject({ status: 502 });
  });

  it('keeps to the rate per platform; another platform is not slowed', async () => {
    const limiter = new KeyedRateLimiter(5);
    const slow = client('slow', limiter);
    const fast = client('fast', limiter);
    const started = Date.now();
    const slowCalls = Promise.all(Array.from({ length: 6 }, () => get(slow, 'slow')));
    await Promise.all(Array.from({ length: 3 }, () => get(fast, 'fast')));
    const fastDone = Date.now() - started;
    await slowCalls;
    const slowAt = arrivals.filter((a) => a.platform === 'slow').map((a) => a.at - started);
    // 6 requests at 5/s: the last starts about 1 s after the first.
    expect(Math.max(...slowAt)).toBeGreaterThanOrEqual(950);
    expect(fastDone).toBeLessThan(700);
  });
});

describe('what the client reports', () => {
  it('counts each LMS request by platform, method and status, and times the answers', async () => {
    const value = async (labels: Record<string, string>) =>
      (await lmsRequests.get()).values.find((v) =>
        Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
      )?.value ?? 0;
    const before = await value({ platform: 'metered', method: 'GET', status: '500' });
    faults.inject(/members/, { kind: 'status', status: 500 }, 2);
    await get(client('metered'), 'metered');
    // Two answers of 500, retried, then the 200.
    expect(await value({ platform: 'metered', method: 'GET', status: '500' })).toBe(before + 2);
    expect(await value({ platform: 'metered', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(1);
    const timed = (await lmsRequestSeconds.get()).values.find(
      (v) =>
        v.metricName === 'credbridge_lms_request_duration_seconds_count' && v.labels.platform === 'metered',
    );
    expect(timed?.value).toBe(3);
  });
});
