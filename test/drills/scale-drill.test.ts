import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaleFailoverDrill, startScaleWorld, type ScaleWorld, type Topology } from './scale-drill.js';

/**
 * The scale drills at suite size: two web processes and three workers on a six-node Redis Cluster that loses the
 * `issue` queue's primary, and on a Sentinel-watched primary that dies, mid-batch. `npm run drills -- --only
 * cluster,sentinel` runs them with 2,000 learners.
 */
const LEARNERS = 60;
const dirs: string[] = [];
let open: ScaleWorld | undefined;

afterAll(async () => {
  await open?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe.each<Topology>(['cluster', 'sentinel'])('scale drill on %s (small)', (topology) => {
  it('loses the primary mid-batch: exactly one credential per learner, the backlog drained, both webs serving', async () => {
    const dir = await mkdtemp(join(tmpdir(), `credbridge-${topology}-drill-`));
    dirs.push(dir);
    open = await startScaleWorld(topology, join(dir, topology));
    const result = await scaleFailoverDrill(open, LEARNERS);
    await open.close();
    open = undefined;
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
    // What an operator's Prometheus saw on each web process: the backlog rose while the batch waited, and fell
    // to nothing; and each web process followed the failover.
    expect(result.notes.backlogMax).toBeGreaterThan(0);
    expect(result.notes.backlogEnd).toEqual([0, 0]);
    expect(result.notes.websAfter).toEqual([
      { ready: true, verifies: true },
      { ready: true, verifies: true },
    ]);
  }, 360_000);
});
