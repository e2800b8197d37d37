import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import type { Server } from 'node:http';
import mongoose from 'mongoose';
import { freePort } from '../../scripts/services/process.js';
import { deleteExpired } from '../../src/db/expiry.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { loginLockout } from '../../src/accounts/login-lockout.js';
import { createApp } from '../../src/web/app.js';
import { silentLogger } from '../helpers/env.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * The console's lockout after failed sign-ins, through two web processes on one database (as behind a load
 * balancer): they count together, a pair (address, username) locks after 5 failures and an address after 20,
 * so an attacker elsewhere cannot lock the real administrator out, and the lock ends with its window.
 */
let tool: ToolUnderTest;
let second: Server;
let secondUrl: string;
const PASSWORD = 'correct horse battery staple';
const TOKEN = 'f'.repeat(40);

beforeAll(async () => {
  // The per-minute rate limit would answer 429 first; this is about the lockout behind it.
  tool = await startTool({ TRUST_PROXY: 'true', RATE_LIMIT_DISABLED: 'true' });
  const port = await freePort();
  secondUrl = `http://127.0.0.1:${port}`;
  second = createApp({
    config: tool.config,
    logger: silentLogger(),
    redis: tool.redis,
    queues: tool.queues,
  }).listen(port, '127.0.0.1');
  await once(second, 'listening');
  await createAdminUser('ursula', PASSWORD);
}, 120_000);

afterAll(async () => {
  second?.closeAllConnections();
  await new Promise<void>((resolve) => (second ? second.close(() => resolve()) : resolve()));
  await tool?.close();
});

/** One sign-in from `address` (X-Forwarded-For, trusted here): 303 signed in, 401 wrong, 429 locked. */
async function signIn(url: string, address: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': address,
      cookie: `credbridge_csrf=${TOKEN}`,
    },
    body: new URLSearchParams({ _csrf: TOKEN, username, password }).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

const failures = () => mongoose.connection.collection('login_failures');

describe('console sign-in lockout', () => {
  it('is shared by every web process: 5 failures of one address on one user lock it on both', async () => {
    const a = '203.0.113.1';
    for (const url of [tool.url, tool.url, tool.url, secondUrl, secondUrl])
      expect(await signIn(url, a, 'ursula', 'wrong password')).toBe(401);
    expect(await signIn(secondUrl, a, 'ursula', PASSWORD)).toBe(429);
    expect(await signIn(tool.url, a, 'ursula', PASSWORD)).toBe(429);
  });

  it("does not lock the user out from another address: an attacker's failures are theirs", async () => {
    for (let i = 0; i < 6; i++) await signIn(tool.url, '203.0.113.2', 'ursula', 'wrong password');
    expect(await signIn(tool.url, '203.0.113.2', 'ursula', PASSWORD)).toBe(429);
    expect(await signIn(tool.url, '198.51.100.7', 'ursula', PASSWORD)).toBe(303);
    expect(await signIn(secondUrl, '198.51.100.7', 'ursula', PASSWORD)).toBe(303);
  });

  it('locks an address that tries many usernames after 20 failures, whatever the usernames', async () => {
    const c = '192.0.2.50';
    for (const user of ['u1', 'u2', 'u3', 'u4'])
      for (let i = 0; i < 4; i++) expect(await signIn(tool.url, c, user, 'wrong password')).toBe(401);
    // 16 failures, none of them on one pair 5 times: the address still signs in.
    expect(await signIn(secondUrl, c, 'ursula', PASSWORD)).toBe(303);
    for (let i = 0; i < 4; i++) expect(await signIn(secondUrl, c, 'u5', 'wrong password')).toBe(401);
    expect(await signIn(tool.url, c, 'ursula', PASSWORD)).toBe(429);
    expect(await signIn(tool.url, '192.0.2.51', 'ursula', PASSWORD)).toBe(303);
  });

  it('counts every failure of a burst across both processes, none lost', async () => {
    const d = '203.0.113.99';
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signIn(i % 2 ? tool.url : secondUrl, d, `burst${i % 3}`, 'wrong')),
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    const counted = (limits: { pairLimit?: number; addressLimit?: number }, username = 'burst0') =>
      loginLockout({ pairLimit: 1_000, addressLimit: 1_000, ...limits }).blocked({ address: d, username });
    expect(await counted({ addressLimit: 12 })).toBe(true);
    expect(await counted({ addressLimit: 13 })).toBe(false);
    for (const username of ['burst0', 'burst1', 'burst2']) {
      expect(await counted({ pairLimit: 4 }, username)).toBe(true);
      expect(await counted({ pairLimit: 5 }, username)).toBe(false);
    }
  });

  it('keeps no address or username in the clear', async () => {
    const stored = JSON.stringify(await failures().find({}).toArray());
    for (const clear of ['203.0.113.1', '192.0.2.50', 'ursula', 'burst0'])
      expect(stored).not.toContain(clear);
  });

  it('unlocks when the window has passed, and the expired records are swept', async () => {
    const a = '203.0.113.1';
    expect(await signIn(tool.url, a, 'ursula', PASSWORD)).toBe(429);
    const past = new Date(Date.now() - 1_000);
    await failures().updateMany({}, { $set: { expiresAt: past } });
    // A failure after the window starts a new count instead of adding to the old one.
    expect(await signIn(tool.url, a, 'ursula', 'wrong password')).toBe(401);
    expect(await signIn(secondUrl, a, 'ursula', PASSWORD)).toBe(303);
    const removed = await deleteExpired();
    expect(removed.LoginFailure).toBeGreaterThan(0);
  });
});

describe('the lockout itself, on a clock of its own', () => {
  const clock = { t: Date.now() };
  const lockout = (pairLimit: number) =>
    loginLockout({ pairLimit, addressLimit: 1_000, windowMs: 60_000, now: () => clock.t });
  const who = { address: '10.1.2.3', username: 'clockwork' };

  it('counts 20 simultaneous failures of one pair exactly', async () => {
    await Promise.all(Array.from({ length: 20 }, () => lockout(5).fail(who)));
    expect(await lockout(20).blocked(who)).toBe(true);
    expect(await lockout(21).blocked(who)).toBe(false);
  });

  it('ends the lock with the window, and starts counting again from one', async () => {
    clock.t += 60_001;
    expect(await lockout(1).blocked(who)).toBe(false);
    await lockout(5).fail(who);
    expect(await lockout(1).blocked(who)).toBe(true);
    expect(await lockout(2).blocked(who)).toBe(false);
  });

  it('clears the pair on success, leaving other usernames of the address alone', async () => {
    const other = { ...who, username: 'someone-else' };
    await lockout(5).fail(other);
    await lockout(5).succeed(who);
    expect(await lockout(1).blocked(who)).toBe(false);
    expect(await lockout(1).blocked(other)).toBe(true);
    // The address keeps counting both: a correct password does not reset what it tried.
    const address = (addressLimit: number) =>
      loginLockout({ pairLimit: 1_000, addressLimit, windowMs: 60_000, now: () => clock.t }).blocked(who);
    expect(await address(2)).toBe(true);
    expect(await address(3)).toBe(false);
  });
});
