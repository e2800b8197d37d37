/**
 * The failure drills at full size (or as asked), on private services, printing what each saw:
 *   npm run drills                               # the sizes: 2,000 learners, 20 s database outage
 *   npm run drills -- --learners 300 --outage 5 --only crash,redis
 *   npm run drills -- --store postgresql           # FerretDB over PostgreSQL (BENCH_POSTGRESQL_URL), as the bench
 *   npm run drills -- --only cluster               # the scale drill: a Redis Cluster loses the issue queue's primary
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
import { clusterFailoverDrill, startClusterWorld } from '../test/drills/cluster-drill.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    learners: { type: 'string', default: process.env.DRILL_LEARNERS ?? '2000' },
    outage: { type: 'string', default: process.env.DRILL_OUTAGE_S ?? '20' },
    only: { type: 'string', default: 'crash,redis,db,lms,sigterm,cluster' },
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

// The scale drill runs on a world of its own: a six-node Redis Cluster instead of one server.
if (only.has('cluster')) {
  const dir = await mkdtemp(join(tmpdir(), 'credbridge-cluster-drill-'));
  const cw = await startClusterWorld(join(dir, 'cluster'), (line) => console.log(line), store.postgresqlUrl);
  // Interrupted, it still stops its cluster nodes, database and workers.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void cw.close().finally(() => process.exit(130)));
  try {
    for (let i = 0; i < repeat; i++) if (!report(await clusterFailoverDrill(cw, learners))) broken++;
  } finally {
    await cw.close();
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
  // The scale drill also reads the backlog from /metrics: it must have risen, and fallen to nothing.
  const drained =
    !('backlogEnd' in result.notes) || (result.notes.backlogEnd === 0 && Number(result.notes.backlogMax) > 0);
  const ok = exactlyOnce && inTime && drained;
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
