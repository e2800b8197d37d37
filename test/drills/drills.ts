import { Redis } from 'ioredis';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { bindingSync, randomBetween, type Batch, type DrillWorld, type Tally } from './world.js';

/**
 * The failure drills, shared by the test suite (small sizes) and `npm run drills` (full sizes). Each breaks
 * one thing in the middle of a batch and returns what it saw; the caller checks exactly-once.
 */
export interface DrillResult {
  name: string;
  tally: Tally;
  ms: number;
  /** From the end of the fault (the database back, Redis restarted, the last worker restarted...) to the batch done. */
  recoveryMs: number;
  /** What the settings promise for that (see recoveryBoundMs). */
  recoveryBoundMs: number;
  notes: Record<string, unknown>;
}

/**
 * How long after a fault ends the batch may take to finish, from the settings the drill world runs with:
 * a worker's database client is replaced after DB_RECONNECT_AFTER_MS of silence and then needs a server
 * selection (5 s); a job whose worker died comes back within two JOB_LOCK_MS (lock lapse, then the stalled
 * check); a request left `signing` is taken over after ISSUE_CLAIM_TIMEOUT_MS and re-enqueued by the next
 * reconciler pass (RECONCILE_INTERVAL_MS); a job that could not reach the database runs again after
 * ISSUE_BACKOFF_MS. Then the work still open, at a third of the pace before the fault: two cores are shared by
 * every process of the drill, and on FerretDB over SQLite each update scans its collection, so the pace falls as
 * the batch grows (a stall exceeds any such bound: it never finishes).
 */
export function recoveryBoundMs(env: Record<string, string>, open: number, issuedPerSecond: number): number {
  const setting = (name: string) => Number(env[name]);
  const latency =
    setting('DB_RECONNECT_AFTER_MS') +
    5_000 +
    2 * setting('JOB_LOCK_MS') +
    setting('ISSUE_CLAIM_TIMEOUT_MS') +
    setting('RECONCILE_INTERVAL_MS') +
    setting('ISSUE_BACKOFF_MS');
  return Math.round(latency + (3 * open * 1_000) / Math.max(issuedPerSecond, 0.1));
}

/** Credentials issued per second since `sinceMs`: the batch's pace before its fault. */
async function paceSince(world: DrillWorld, batch: Batch, sinceMs: number): Promise<number> {
  return (await world.issued(batch)) / Math.max((Date.now() - sinceMs) / 1_000, 0.001);
}

/** The fault is over: the bound for what is still open, at the pace before the fault. */
async function faultEnded(world: DrillWorld, batch: Batch, perSecond: number) {
  const open = batch.learners.length - (await world.issued(batch));
  return { at: Date.now(), boundMs: recoveryBoundMs(world.tool.env, open, perSecond) };
}

/** Recovery figures once the batch settled. */
const recovery = (world: DrillWorld, ended: { at: number; boundMs: number }) => ({
  recoveryMs: world.settledAt - ended.at,
  recoveryBoundMs: ended.boundMs,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds from the drill's start at which each phase ended, so a slow drill shows where its time went. */
function phases() {
  const started = Date.now();
  const marks: Record<string, number> = {};
  const mark = (name: string) => void (marks[name] = Math.round((Date.now() - started) / 100) / 10);
  return { mark, marks };
}
const timeoutFor = (learners: number) => 120_000 + learners * 400;

async function stopWorkers(world: DrillWorld, signal: NodeJS.Signals) {
  const running = world.workers.splice(0);
  for (const w of running) w.child.kill(signal);
  return Promise.all(running.map((w) => w.exited));
}

/** Worker processes SIGKILLed `kills` times at random moments of the batch, and restarted each time. */
export async function workerCrashDrill(world: DrillWorld, learners: number, kills = 3): Promise<DrillResult> {
  const started = Date.now();
  const p = phases();
  await world.startWorkers(2);
  p.mark('workers up');
  const batch = await world.newBatch('crash', learners);
  await world.sync(batch);
  const synced = Date.now();
  p.mark('batch synced');
  const killedAt: number[] = [];
  let perSecond = 0;
  for (let k = 0; k < kills; k++) {
    // A random point of the batch: after a random share of the learners is issued, plus a random jitter.
    await world.waitIssued(
      batch,
      Math.floor(((k + Math.random()) / (kills + 1)) * learners),
      timeoutFor(learners),
    );
    await sleep(randomBetween(0, 400));
    if (k === 0) perSecond = await paceSince(world, batch, synced);
    const victim = world.workers.splice(randomBetween(0, world.workers.length), 1)[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    killedAt.push(await world.issued(batch));
    await world.startWorkers(1);
  }
  p.mark('broken');
  const ended = await faultEnded(world, batch, perSecond);
  const tally = await world.settle(batch, timeoutFor(learners));
  p.mark('settled');
  await stopWorkers(world, 'SIGTERM');
  p.mark('workers stopped');
  return {
    name: 'worker crash',
    tally,
    ms: Date.now() - started,
    ...recovery(world, ended),
    notes: { killedWhenIssued: killedAt, phases: p.marks },
  };
}

/** FLUSHALL in the middle of the batch, then a Redis restart (empty) a little later. */
export async function redisLossDrill(world: DrillWorld, learners: number): Promise<DrillResult> {
  const started = Date.now();
  const p = phases();
  await world.startWorkers(2);
  p.mark('workers up');
  const batch = await world.newBatch('redis', learners);
  await world.sync(batch);
  const synced = Date.now();
  p.mark('batch synced');
  await world.waitIssued(batch, Math.floor(learners / 4), timeoutFor(learners));
  const perSecond = await paceSince(world, batch, synced);
  const admin = new Redis(world.redis.url, { maxRetriesPerRequest: 1 });
  await admin.flushall();
  admin.disconnect();
  const flushedAt = await world.issued(batch);
  await world.waitIssued(batch, Math.floor(learners / 2), 15_000);
  await world.redis.stop();
  await sleep(1_000);
  await world.redis.start();
  const restartedAt = await world.issued(batch);
  p.mark('broken');
  const ended = await faultEnded(world, batch, perSecond);
  const tally = await world.settle(batch, timeoutFor(learners));
  p.mark('settled');
  await stopWorkers(world, 'SIGTERM');
  p.mark('workers stopped');
  return {
    name: 'redis loss',
    tally,
    ms: Date.now() - started,
    ...recovery(world, ended),
    notes: { flushedAt, restartedAt, phases: p.marks },
  };
}

/**
 * The database stopped for `outageMs` mid-batch: the web's /readyz must say not-ready during the outage and
 * ready again after it without a restart; workers back off and finish the batch.
 */
export async function databaseOutageDrill(
  world: DrillWorld,
  learners: number,
  outageMs: number,
): Promise<DrillResult> {
  const started = Date.now();
  const p = phases();
  await world.startWorkers(2);
  p.mark('workers up');
  const batch = await world.newBatch('db', learners);
  await world.sync(batch);
  const synced = Date.now();
  p.mark('batch synced');
  await world.waitIssued(batch, Math.floor(learners / 4), timeoutFor(learners));
  const perSecond = await paceSince(world, batch, synced);
  const stoppedAt = await world.issued(batch);
  await world.db.stop();
  const down = Date.now();
  const readyDuring: number[] = [];
  while (Date.now() - down < outageMs) {
    readyDuring.push((await fetch(`${world.tool.url}/readyz`).catch(() => undefined))?.status ?? 0);
    await sleep(500);
  }
  await world.db.start();
  const ended = await faultEnded(world, batch, perSecond);
  let recoveredMs = -1;
  for (const back = Date.now(); Date.now() - back < 60_000; await sleep(250)) {
    if ((await fetch(`${world.tool.url}/readyz`).catch(() => undefined))?.status === 200) {
      recoveredMs = Date.now() - back;
      break;
    }
  }
  p.mark('broken');
  const tally = await world.settle(batch, timeoutFor(learners));
  p.mark('settled');
  await stopWorkers(world, 'SIGTERM');
  p.mark('workers stopped');
  return {
    name: 'database outage',
    tally,
    ms: Date.now() - started,
    ...recovery(world, ended),
    notes: {
      stoppedAt,
      outageMs,
      readyDuring: [...new Set(readyDuring)],
      readyAgainAfterMs: recoveredMs,
      stuck: await world.stuck(batch),
      phases: p.marks,
    },
  };
}

/**
 * The LMS misbehaves during grade sync: 500s, a 429 with Retry-After, a hang past the timeout (all retried
 * and the batch issued); then a course whose results stay malformed: nothing issued, the binding's sync
 * status names the problem for the instructor, and the next sync after the LMS recovers issues them all.
 */
export async function lmsTroubleDrill(world: DrillWorld, learners: number): Promise<DrillResult> {
  const started = Date.now();
  const p = phases();
  const { sim } = world;
  await world.startWorkers(1);
  const batch = await world.newBatch('lms', learners);
  sim.faults.inject(/\/memberships$/, { kind: 'status', status: 500 }, 2);
  sim.faults.inject(/\/lineitems$/, { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
  sim.faults.inject(/\/results$/, { kind: 'hang', ms: 2_000 }, 1);
  await world.sync(batch);
  p.mark('batch synced');
  // The faults are all in the grade sync; once it has created the requests, issuance runs undisturbed.
  for (
    const deadline = Date.now() + 60_000;
    (await bindingSync(batch))?.status !== 'ok' && Date.now() < deadline;
  )
    await sleep(200);
  p.mark('broken');
  const syncedAt = Date.now();
  await world.waitIssued(batch, Math.floor(learners / 4), timeoutFor(learners));
  const ended = await faultEnded(world, batch, await paceSince(world, batch, syncedAt));
  const tally = await world.settle(batch, timeoutFor(learners));
  p.mark('settled');
  const transientHits = sim.faults.hits.length;
  p.mark('transient faults settled');

  const broken = await world.newBatch('lms-broken', Math.max(5, Math.floor(learners / 4)));
  sim.faults.clear();
  sim.faults.inject(/\/results$/, { kind: 'malformed', body: '<html>502 proxy error</html>' }, 1_000);
  await world.sync(broken);
  let partial = await bindingSync(broken);
  for (const deadline = Date.now() + 60_000; partial?.status !== 'partial' && Date.now() < deadline;) {
    await sleep(300);
    partial = await bindingSync(broken);
  }
  p.mark('partial sync seen');
  const issuedOnPartial = await IssuanceRequest.countDocuments({ bindingId: broken.bindingId });
  sim.faults.clear();
  await world.sync(broken);
  const recovered = await world.settle(broken, timeoutFor(learners));
  p.mark('recovered');
  await stopWorkers(world, 'SIGTERM');
  p.mark('workers stopped');
  return {
    name: 'LMS trouble',
    tally,
    ms: Date.now() - started,
    ...recovery(world, ended),
    notes: {
      transientFaultsServed: transientHits,
      partialStatus: partial?.status,
      partialProblems: partial?.problems,
      requestsOnPartialData: issuedOnPartial,
      afterRecovery: recovered,
      stuck: await world.stuck(batch),
      phases: p.marks,
    },
  };
}

/** SIGTERM to every worker mid-batch: each exits cleanly with nothing left half-done; restarted, all finish. */
export async function gracefulShutdownDrill(world: DrillWorld, learners: number): Promise<DrillResult> {
  const started = Date.now();
  const p = phases();
  await world.startWorkers(2);
  p.mark('workers up');
  const batch = await world.newBatch('sigterm', learners);
  await world.sync(batch);
  const synced = Date.now();
  p.mark('batch synced');
  await world.waitIssued(batch, Math.floor(learners / 3), timeoutFor(learners));
  const perSecond = await paceSince(world, batch, synced);
  p.mark('part issued');
  const exits = await stopWorkers(world, 'SIGTERM');
  p.mark('workers exited');
  const signingAfterExit = await IssuanceRequest.countDocuments({
    bindingId: batch.bindingId,
    state: 'signing',
  });
  const issuedAtStop = await world.issued(batch);
  await world.startWorkers(1);
  p.mark('worker restarted');
  // One worker now where two ran: half the pace.
  const ended = await faultEnded(world, batch, perSecond / 2);
  const tally = await world.settle(batch, timeoutFor(learners));
  p.mark('settled');
  await stopWorkers(world, 'SIGTERM');
  p.mark('workers stopped');
  return {
    name: 'graceful shutdown',
    tally,
    ms: Date.now() - started,
    ...recovery(world, ended),
    notes: { exits, signingAfterExit, issuedAtStop, phases: p.marks },
  };
}
