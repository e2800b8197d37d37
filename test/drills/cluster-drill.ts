import { run } from '../../scripts/services/process.js';
import { startCluster, type ClusterSetup } from '../../scripts/services/redis-topologies.js';
import type { ServiceHandle } from '../../scripts/services/types.js';
import { reportQueues } from '../../src/metrics/collectors.js';
import { queueKeyPrefix } from '../../src/queue/redis-topology.js';
import { startDrillWorld, type DrillWorld } from './world.js';
import { recoveryBoundMs, type DrillResult } from './drills.js';

/**
 * The scale drill: a Redis Cluster of three primaries, each with a replica, three worker processes, and the primary
 * that holds the `issue` queue's slot killed mid-batch. Its replica takes over; jobs the dead primary held are
 * enqueued again by the reconciler (MongoDB holds each request). The backlog is read from /metrics as an
 * operator's Prometheus reads it: it rises while the batch waits and falls to nothing.
 */
export const METRICS_TOKEN = 'drill-metrics-token-0123456789abcdef';

export interface ClusterWorld {
  world: DrillWorld;
  cluster: ClusterSetup;
  close(): Promise<void>;
}

export async function startClusterWorld(
  dir: string,
  log?: (line: string) => void,
  /** FerretDB over this PostgreSQL database instead of SQLite files (for the large runs). */
  postgresqlUrl?: string,
): Promise<ClusterWorld> {
  const cluster = await startCluster(dir, 3, 1);
  const handle: ServiceHandle = {
    name: 'Redis Cluster',
    url: cluster.url,
    description: `a Redis Cluster of ${cluster.nodes.length} nodes`,
    stop: () => cluster.stop(),
    start: () => Promise.reject(new Error('the cluster drill kills nodes; it does not restart them')),
  };
  const world = await startDrillWorld({
    redis: handle,
    env: { METRICS_TOKEN },
    ...(log ? { log } : {}),
    ...(postgresqlUrl ? { postgresqlUrl } : {}),
  });
  const stopReporting = reportQueues(() => world.tool.queues.all()); // as the web process does
  return {
    world,
    cluster,
    close: async () => {
      stopReporting();
      await world.close();
    },
  };
}

/** The port of the primary that serves `slot` now, read from a node that is alive. */
async function primaryOf(cluster: ClusterSetup, slot: number): Promise<number | undefined> {
  for (const node of cluster.nodes) {
    if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
    const lines = await run('redis-cli', ['-p', String(node.port), 'cluster', 'nodes']).catch(() => '');
    for (const line of lines.split('\n')) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags?.includes('master') || flags.includes('fail') || state !== 'connected') continue;
      const owns = ranges.some((r) => {
        const [from, to] = r.split('-').map(Number);
        return slot >= from! && slot <= (to ?? from!);
      });
      if (owns) return Number(address!.split('@')[0]!.split(':')[1]);
    }
  }
  return undefined;
}

async function slotOf(cluster: ClusterSetup, key: string): Promise<number> {
  return Number(
    (await run('redis-cli', ['-p', String(cluster.nodes[0]!.port), 'cluster', 'keyslot', key])).trim(),
  );
}

/** The issue queue's waiting and active jobs, as /metrics gives them (undefined while it cannot count them). */
async function issueBacklog(world: DrillWorld): Promise<number | undefined> {
  const res = await fetch(`${world.tool.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await res.text();
  const sample = (state: string) =>
    new RegExp(`^credbridge_queue_jobs\\{queue="issue",state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1];
  const [waiting, active] = [sample('waiting'), sample('active')];
  return waiting === undefined || active === undefined ? undefined : Number(waiting) + Number(active);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function clusterFailoverDrill(
  cw: ClusterWorld,
  learners: number,
  workers = 3,
): Promise<DrillResult> {
  const { world, cluster } = cw;
  const started = Date.now();
  const marks: Record<string, number> = {};
  const mark = (name: string) => void (marks[name] = Math.round((Date.now() - started) / 100) / 10);
  await world.startWorkers(workers);
  mark('workers up');
  const backlog: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const n = await issueBacklog(world).catch(() => undefined);
      if (n !== undefined) backlog.push(n);
      await sleep(250);
    }
  })();
  const batch = await world.newBatch('cluster', learners);
  await world.sync(batch);
  const synced = Date.now();
  mark('batch synced');
  await world.waitIssued(batch, Math.floor(learners / 3), 120_000 + learners * 400);
  const perSecond = (await world.issued(batch)) / Math.max((Date.now() - synced) / 1000, 0.001);
  const slot = await slotOf(cluster, queueKeyPrefix(world.tool.config.QUEUE_PREFIX, 'issue'));
  const victim = await primaryOf(cluster, slot);
  const node = cluster.nodes.find((n) => n.port === victim);
  if (!node) throw new Error(`no primary serves the issue queue's slot ${slot}`);
  const killedAt = await world.issued(batch);
  node.kill();
  mark('primary killed');
  // The replica is promoted once the others see the primary fail (cluster-node-timeout 2 s).
  let successor: number | undefined;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && !successor; await sleep(250)) {
    const now = await primaryOf(cluster, slot);
    if (now && now !== victim) successor = now;
  }
  if (!successor) throw new Error('no replica took over the issue queue’s slot');
  mark('replica promoted');
  const ended = {
    at: Date.now(),
    boundMs: recoveryBoundMs(world.tool.env, learners - (await world.issued(batch)), perSecond),
  };
  const tally = await world.settle(batch, 120_000 + learners * 400);
  mark('settled');
  // Jobs the failover left behind (re-enqueued ones of requests since issued) are taken within a worker's drain
  // delay and end as "already issued": the backlog falls to nothing.
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && backlog.at(-1) !== 0;) await sleep(250);
  mark('backlog drained');
  sampling = false;
  await sampler;
  const running = world.workers.splice(0);
  for (const w of running) w.child.kill('SIGTERM');
  await Promise.all(running.map((w) => w.exited));
  return {
    name: 'cluster primary loss',
    tally,
    ms: Date.now() - started,
    recoveryMs: world.settledAt - ended.at,
    recoveryBoundMs: ended.boundMs,
    notes: {
      slot,
      killed: victim,
      promoted: successor,
      issuedWhenKilled: killedAt,
      backlogMax: Math.max(0, ...backlog),
      backlogEnd: backlog.at(-1),
      backlogSamples: backlog.length,
      phases: marks,
    },
  };
}
