import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterFailoverDrill, startClusterWorld, type ClusterWorld } from './cluster-drill.js';

/**
 * The scale drill at suite size: a six-node Redis Cluster, three workers, the `issue` queue's primary killed
 * mid-batch. `npm run drills -- --only cluster` runs it with 2,000 learners.
 */
const LEARNERS = 60;
let dir: string;
let cw: ClusterWorld;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credbridge-cluster-drill-'));
  cw = await startClusterWorld(join(dir, 'cluster'));
}, 120_000);

afterAll(async () => {
  await cw?.close();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('scale drill (small)', () => {
  it('loses the issue queue’s cluster primary mid-batch: exactly one credential per learner, the backlog drained', async () => {
    const result = await clusterFailoverDrill(cw, LEARNERS);
    if (process.env.DRILLS_VERBOSE) console.log(result.name, result.ms, result.notes);
    expect(result.notes.promoted).not.toBe(result.notes.killed);
    expect(result.recoveryMs).toBeLessThanOrEqual(result.recoveryBoundMs);
    const t = result.tally;
    expect({ ...t, verified: t.verified > 0 }).toEqual({
      learners: LEARNERS,
      issued: LEARNERS,
      open: 0,
      failed: 0,
      credentials: LEARNERS,
      duplicateLearners: 0,
      missing: 0,
      verified: true,
      verifyFailures: 0,
    });
    // What an operator's Prometheus saw: the backlog rose while the batch waited, and fell to nothing.
    expect(result.notes.backlogMax).toBeGreaterThan(0);
    expect(result.notes.backlogEnd).toBe(0);
  }, 300_000);
});
