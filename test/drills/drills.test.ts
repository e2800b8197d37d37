import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  databaseOutageDrill,
  gracefulShutdownDrill,
  lmsTroubleDrill,
  redisLossDrill,
  workerCrashDrill,
  type DrillResult,
} from './drills.js';
import { orphanCredentials, startDrillWorld, type DrillWorld } from './world.js';

/**
 * The failure drills at a small size, on private servers (the database and Redis are stopped and flushed).
 * `npm run drills` runs the same drills at the sizes.
 */
const LEARNERS = 20;
/** The database outage and LMS drills at a size where their stalls showed (a worker's client wedged mid-batch). */
const AT_SCALE = 200;
let world: DrillWorld;
beforeAll(async () => {
  world = await startDrillWorld();
}, 120_000);
afterAll(async () => {
  await world?.close();
}, 60_000);

/** DRILLS_VERBOSE=1 prints what each drill saw, with its phase times. */
function seen(result: DrillResult): DrillResult {
  if (process.env.DRILLS_VERBOSE)
    console.log(result.name, (result.ms / 1000).toFixed(1), 's', {
      recoveryMs: result.recoveryMs,
      recoveryBoundMs: result.recoveryBoundMs,
      ...result.notes,
    });
  return result;
}

function expectExactlyOnce(result: DrillResult) {
  // Done within what the settings promise after the fault ended, not only done at last.
  expect(result.recoveryMs).toBeLessThanOrEqual(result.recoveryBoundMs);
  const t = result.tally;
  expect({ ...t, verified: t.verified > 0 }).toEqual({
    learners: t.learners,
    issued: t.learners,
    open: 0,
    failed: 0,
    credentials: t.learners,
    duplicateLearners: 0,
    missing: 0,
    verified: true,
    verifyFailures: 0,
  });
}

describe('failure drills (small)', () => {
  it('worker crash: SIGKILL three times mid-batch, exactly one credential per learner', async () => {
    expectExactlyOnce(seen(await workerCrashDrill(world, LEARNERS)));
  }, 240_000);

  it('Redis loss: FLUSHALL and a restart mid-batch, the reconciler restores every request', async () => {
    expectExactlyOnce(seen(await redisLossDrill(world, LEARNERS)));
  }, 240_000);

  it('database outage: readiness says not-ready, then ready again; the batch completes', async () => {
    const result = seen(await databaseOutageDrill(world, AT_SCALE, 3_000));
    expect(result.notes.readyDuring).toEqual([503]);
    expect(result.notes.readyAgainAfterMs).toBeGreaterThanOrEqual(0);
    expectExactlyOnce(result);
  }, 240_000);

  it('LMS trouble: retried through 500, 429 and a hang; nothing issued on partial data, the reason shown', async () => {
    const result = seen(await lmsTroubleDrill(world, AT_SCALE));
    expectExactlyOnce(result);
    expect(result.notes.transientFaultsServed).toBe(4);
    expect(result.notes.partialStatus).toBe('partial');
    expect(JSON.stringify(result.notes.partialProblems)).toMatch(/malformed/);
    expect(result.notes.requestsOnPartialData).toBe(0);
    expectExactlyOnce({ ...result, tally: result.notes.afterRecovery as DrillResult['tally'] });
    // About a minute alone, four times that on a loaded CI machine: the hang and the retries wait in real time.
  }, 420_000);

  it('graceful shutdown: SIGTERM mid-batch leaves nothing half-done and loses nothing', async () => {
    const result = seen(await gracefulShutdownDrill(world, LEARNERS));
    expect(result.notes.exits).toEqual([0, 0]);
    expect(result.notes.signingAfterExit).toBe(0);
    expectExactlyOnce(result);
  }, 240_000);

  it('no credential exists without its request anywhere in the database', async () => {
    expect(await orphanCredentials()).toBe(0);
  });
});
