import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DelayedError, type Job } from 'bullmq';
import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { issueProcessor } from '../../src/issuance/issue.js';
import { retryWhileDatabaseAway } from '../../src/jobs/database-away.js';
import type { CredentialOps } from '../../src/issuance/ports.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import type { Queues } from '../../src/queue/queues.js';
import { databaseUri, silentLogger, uniqueName } from '../helpers/env.js';

/**
 * How an issue attempt ends when something goes wrong under it. A worker that is only slow (not dead) outlives
 * its claim; a second attempt takes the request over. When the slow attempt then fails, it must not mark failed
 * (or re-queue) the request the second attempt holds: the request ends issued, not failed with a credential
 * behind it. And an attempt that cannot reach the database spends no attempt and never fails the request.
 */
const CLAIM_TIMEOUT_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await connectDatabase(databaseUri(uniqueName('claims')), silentLogger());
});
afterAll(async () => {
  await disconnectDatabase();
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

const job = (requestId: string) =>
  ({ data: { requestId }, attemptsMade: 0, opts: { attempts: 1 } }) as unknown as Job<{ requestId: string }>;

/** A binding and one queued request under it. */
async function seedRequest(): Promise<string> {
  const bindingId = new Types.ObjectId().toHexString();
  await CourseBinding.collection.insertOne({
    _id: new Types.ObjectId(bindingId),
    platformId: 'p',
    deploymentId: 'd',
    contextId: bindingId,
    courseId: 'c1',
    templateId: 't',
    templateVersion: 1,
    issuerId: 'i',
    rule: {},
    enabled: true,
  });
  const requestId = new Types.ObjectId().toHexString();
  await IssuanceRequest.create({
    _id: requestId,
    bindingId,
    platformId: 'p',
    deploymentId: 'd',
    contextId: bindingId,
    learnerId: 'l1',
    learner: { name: 'Learner One' },
  });
  return requestId;
}

function depsWith(credentials: CredentialOps) {
  return {
    queues: {} as Queues,
    credentials,
    logger: silentLogger(),
    claimTimeoutMs: CLAIM_TIMEOUT_MS,
    credentialUrl: (id: string) => `http://x/credentials/${id}`,
    mailEnabled: false,
  };
}

describe('claim taken over from a slow attempt', () => {
  it('the slow attempt failing afterwards leaves the newer attempt to finish: issued, not failed', async () => {
    const requestId = await seedRequest();

    const slow = gate();
    const fast = gate();
    let calls = 0;
    const credentials: CredentialOps = {
      async issue() {
        const mine = ++calls;
        if (mine === 1) {
          await slow.opened;
          throw new Error('slow attempt lost its connection');
        }
        await fast.opened;
        return { credentialId: requestId };
      },
      async setStatus() {},
      async summary() {
        return { title: '', issuer: '' };
      },
    };
    const processor = issueProcessor(depsWith(credentials));

    const first = processor(job(requestId)).catch((err: Error) => err.message);
    while (calls < 1) await sleep(10);
    await sleep(CLAIM_TIMEOUT_MS + 50); // the first claim is now stale
    const second = processor(job(requestId));
    while (calls < 2) await sleep(10);

    slow.open();
    expect(await first).toMatch(/slow attempt/);
    expect((await IssuanceRequest.findById(requestId).lean())!.state).toBe('signing');

    fast.open();
    expect(await second).toBe('issued');
    const after = (await IssuanceRequest.findById(requestId).lean())!;
    expect(after.state).toBe('issued');
    expect(after.attempts).toBe(2);
  });
});

describe('the database out of reach during an attempt', () => {
  it('on the last attempt the request goes back to queued and the job waits a fixed delay, no attempt spent', async () => {
    const requestId = await seedRequest();
    // What the driver throws when the server went away mid-operation (a restart, an election).
    const lost = Object.assign(new Error('connection 6 to 127.0.0.1:27017 closed'), {
      name: 'MongoNetworkError',
    });
    const credentials: CredentialOps = {
      async issue() {
        throw lost;
      },
      async setStatus() {},
      async summary() {
        return { title: '', issuer: '' };
      },
    };
    const delayed: number[] = [];
    const lastAttempt = {
      data: { requestId },
      attemptsMade: 4,
      opts: { attempts: 5 },
      async moveToDelayed(timestamp: number, token?: string) {
        expect(token).toBe('lock-token');
        delayed.push(timestamp - Date.now());
      },
    } as unknown as Job<{ requestId: string }>;

    // Wrapped as every worker's processor is (src/jobs/registry.ts).
    const processor = retryWhileDatabaseAway(issueProcessor(depsWith(credentials)), 250);
    const outcome = await processor(lastAttempt, 'lock-token').catch((err: Error) => err);
    // BullMQ's DelayedError: the job waits in the delayed set without counting an attempt.
    expect(outcome).toBeInstanceOf(DelayedError);
    expect(delayed).toHaveLength(1);
    expect(delayed[0]).toBeGreaterThan(150);
    expect(delayed[0]).toBeLessThanOrEqual(250);
    const request = (await IssuanceRequest.findById(requestId).lean())!;
    expect(request.state).toBe('queued');
    expect(request.lastError).toMatch(/closed/);
  });
});
