import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { Types } from 'mongoose';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { issueProcessor } from '../../src/issuance/issue.js';
import type { CredentialOps } from '../../src/issuance/ports.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import type { Queues } from '../../src/queue/queues.js';
import { databaseUri, silentLogger, uniqueName } from '../helpers/env.js';

/**
 * A worker that is only slow (not dead) outlives its claim; a second attempt takes the request over. When the
 * slow attempt then fails, it must not mark failed (or re-queue) the request the second attempt holds: the
 * request ends issued, not failed with a credential behind it.
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

describe('claim taken over from a slow attempt', () => {
  it('the slow attempt failing afterwards leaves the newer attempt to finish: issued, not failed', async () => {
    const bindingId = new Types.ObjectId().toHexString();
    await CourseBinding.collection.insertOne({
      _id: new Types.ObjectId(bindingId),
      platformId: 'p',
      deploymentId: 'd',
      contextId: 'c',
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
      contextId: 'c',
      learnerId: 'l1',
      learner: { name: 'Learner One' },
    });

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
    const deps = {
      queues: {} as Queues,
      credentials,
      logger: silentLogger(),
      claimTimeoutMs: CLAIM_TIMEOUT_MS,
      credentialUrl: (id: string) => `http://x/credentials/${id}`,
      mailEnabled: false,
    };
    const processor = issueProcessor(deps);

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
