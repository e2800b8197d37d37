/**
 * The failure drills at full size (or as asked), on private services, printing what each saw:
 *   npm run drills                               # the sizes: 2,000 learners, 20 s database outage
 *   npm run drills -- --learners 300 --outage 5 --only crash,redis
 *   npm run drills -- --store postgresql           # FerretDB over PostgreSQL (BENCH_POSTGRESQL_URL), as the bench
 *   npm run drills -- --only cluster,sentinel      # the scale drills: a Redis Cluster or Sentinel loses its primary
 * Env DRILL_LEARNERS / DRILL_OUTAGE_S set the same; --repeat N runs each chosen drill N times; DRILL_LOG_DIR keeps
 * each worker's log there. Exits 1 when any drill breaks exactly-once or finishes later after its fault than
 * the settings promise (recoveryBoundMs in test/drills/drills.ts).
 */
import { parseArgs } from 'node:util';
import {
  databaseOutageDrill,
  gracefulShutdownDrill,
  lmsTroubleDrill,
  redisLossDrill,
  workerCrashDrill,
  type DrillResult,
} from '../test/drills/drills.js';
import { chooseStore, parseStoreKind } from '../bench/store.js';
import { orphanCredentials, startDrillWorld } from '../test/drills/world.js';
import { scaleFailoverDrill, startScaleWorld } from '../test/drills/scale-drill.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: process.env.DRILL_LEARNERS ?? '2000' },
    outage: { type: 'string', default: process.env.DRILL_OUTAGE_S ?? '20' },
    only: { type: 'string', default: 'crash,redis,db,lms,sigterm,cluster,sentinel' },
    repeat: { type: 'string', default: '1' },
    store: { type: 'string', default: 'sqlite' },
  },
});
const learners = Number(values.learners);
const outageMs = Number(values.outage) * 1000;
const only = new Set(values.only.split(','));
const repeat = Number(values.repeat);

const drills: [string, (w: Awaited<ReturnType<typeof startDrillWorld>>) => Promise<DrillResult>][] = [
  ['crash', (w) => workerCrashDrill(w, learners)],
  ['redis', (w) => redisLossDrill(w, learners)],
  ['db', (w) => databaseOutageDrill(w, learners, outageMs)],
  ['lms', (w) => lmsTroubleDrill(w, learners)],
  ['sigterm', (w) => gracefulShutdownDrill(w, learners)],
];

const store = await chooseStore(parseStoreKind(values.store));
console.log(`store: ${store.description}`);
let broken = 0;
// The drills on one Redis server share a world; none is started when only the scale drill was asked for.
if (drills.some(([key]) => only.has(key))) {
  const world = await startDrillWorld({
    log: (line) => console.log(line),
    ...(store.postgresqlUrl ? { postgresqlUrl: store.postgresqlUrl } : {}),
  });
  // Interrupted, the drill still stops what it started (its database, Redis and worker processes).
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void world.close().finally(() => process.exit(130)));
  try {
    for (const [key, run] of drills.flatMap((d) => Array.from({ length: repeat }, () => d))) {
      if (!only.has(key)) continue;
      if (!report(await run(world))) broken++;
    }
    const orphans = await orphanCredentials();
    console.log(`${orphans === 0 ? 'PASS' : 'FAIL'} no credential without its request (${orphans} orphans)`);
    if (orphans) broken++;
  } finally {
    await world.close();
  }
}

// The scale drills run on worlds of their own: a six-node Redis Cluster, or a primary and replica behind three
// sentinels, instead of one server; two web processes and three workers.
for (const topology of ['cluster', 'sentinel'] as const) {
  if (!only.has(topology)) continue;
  const dir = await mkdtemp(join(tmpdir(), `credbridge-${topology}-drill-`));
  const sw = await startScaleWorld(
    topology,
    join(dir, topology),
    (line) => console.log(line),
    store.postgresqlUrl,
  );
  // Interrupted, it still stops its Redis nodes, database, web and workers.
  const stop = () => void sw.close().finally(() => process.exit(130));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  try {
    for (let i = 0; i < repeat; i++) if (!report(await scaleFailoverDrill(sw, learners))) broken++;
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, stop);
    await sw.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Prints what a drill saw; whether it kept exactly-once in time. */
function report(result: DrillResult): boolean {
  const t = result.tally;
  const exactlyOnce =
    t.issued === t.learners &&
    t.credentials === t.learners &&
    t.open + t.failed + t.duplicateLearners + t.missing + t.verifyFailures === 0;
  const inTime = result.recoveryMs <= result.recoveryBoundMs;
  // The scale drills also read the backlog from each web's /metrics: it must have risen, and fallen to nothing;
  // and each web process must be ready and verify a credential after the failover.
  const { backlogEnd, backlogMax, websAfter } = result.notes as {
    backlogEnd?: unknown[];
    backlogMax?: number;
    websAfter?: { ready: boolean; verifies: boolean }[];
  };
  const drained = backlogEnd === undefined || (backlogEnd.every((n) => n === 0) && Number(backlogMax) > 0);
  const websFine = websAfter === undefined || websAfter.every((w) => w.ready && w.verifies);
  const ok = exactlyOnce && inTime && drained && websFine;
  console.log(
    `${ok ? 'PASS' : 'FAIL'} ${result.name}: ${t.learners} learners, ${t.issued} issued, ${t.credentials} credentials, ` +
      `${t.duplicateLearners} duplicated, ${t.missing} missing, ${t.open} open, ${t.failed} failed, ` +
      `${t.verified} sampled documents verified, ${(result.ms / 1000).toFixed(1)} s; ` +
      `done ${(result.recoveryMs / 1000).toFixed(1)} s after the fault ended ` +
      `(bound ${(result.recoveryBoundMs / 1000).toFixed(1)} s${inTime ? '' : ', EXCEEDED'})`,
  );
  console.log(`  ${JSON.stringify(result.notes)}`);
  return ok;
}
process.exit(broken ? 1 : 0);
