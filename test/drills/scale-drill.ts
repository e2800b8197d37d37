import { randomBytes } from 'node:crypto';
import { run, freePort } from '../../scripts/services/process.js';
import {
  startCluster,
  startSentinel,
  type ClusterSetup,
  type SentinelSetup,
} from '../../scripts/services/redis-topologies.js';
import type { ServiceHandle } from '../../scripts/services/types.js';
import { findCredentials } from '../../src/credentials/credential-store.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { reportQueues } from '../../src/metrics/collectors.js';
import { queueKeyPrefix } from '../../src/queue/redis-topology.js';
import { startEntry, waitForStatus, type RunningProcess } from '../helpers/processes.js';
import { startDrillWorld, type DrillWorld } from './world.js';
import { recoveryBoundMs, type DrillResult } from './drills.js';

/**
 * The scale drill: three worker processes and two web processes on a Redis that loses its primary mid-batch.
 * - `cluster`: a Redis Cluster of three primaries, each with a replica; the primary holding the `issue` queue's
 *   slot is killed and its replica takes over.
 * - `sentinel`: a primary and a replica watched by three sentinels; the primary is killed and the sentinels
 *   promote the replica, which every process then asks them for.
 * Jobs the dead primary held are enqueued again by the reconciler (MongoDB holds each request). The backlog is read
 * from /metrics of both web processes as an operator's Prometheus reads it: it rises while the batch waits and falls
 * to nothing; both web processes are ready again and verify a credential afterwards.
 */
export const METRICS_TOKEN = 'drill-metrics-token-0123456789abcdef';

export type Topology = 'cluster' | 'sentinel';

export interface ScaleWorld {
  topology: Topology;
  world: DrillWorld;
  cluster?: ClusterSetup;
  sentinel?: SentinelSetup;
  /** The second web process (the first runs in the drill's own process, as `world.tool`). */
  web2: RunningProcess & { url: string };
  close(): Promise<void>;
}

export async function startScaleWorld(
  topology: Topology,
  dir: string,
  log?: (line: string) => void,
  /** FerretDB over this PostgreSQL database instead of SQLite files (for the large runs). */
  postgresqlUrl?: string,
): Promise<ScaleWorld> {
  const cluster = topology === 'cluster' ? await startCluster(dir, 3, 1) : undefined;
  const sentinel = topology === 'sentinel' ? await startSentinel(dir) : undefined;
  const setup = (cluster ?? sentinel)!;
  const handle: ServiceHandle = {
    name: topology === 'cluster' ? 'Redis Cluster' : 'Redis Sentinel',
    url: setup.url,
    description: cluster
      ? `a Redis Cluster of ${cluster.nodes.length} nodes`
      : 'a Redis primary and replica behind three sentinels',
    stop: () => setup.stop(),
    start: () => Promise.reject(new Error('the scale drill kills nodes; it does not restart them')),
  };
  const world = await startDrillWorld({
    redis: handle,
    env: { METRICS_TOKEN },
    ...(log ? { log } : {}),
    ...(postgresqlUrl ? { postgresqlUrl } : {}),
  });
  const stopReporting = reportQueues(() => world.tool.queues.all()); // as the web process does
  // The second web process, behind the same (imagined) load balancer: same settings, its own port.
  const port = await freePort();
  const web2 = Object.assign(startEntry('src/server.ts', { ...world.tool.env, PORT: String(port) }), {
    url: `http://127.0.0.1:${port}`,
  });
  await waitForStatus(`${web2.url}/readyz`, 200, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${web2.output()}`);
  });
  return {
    topology,
    world,
    ...(cluster ? { cluster } : {}),
    ...(sentinel ? { sentinel } : {}),
    web2,
    close: async () => {
      stopReporting();
      web2.child.kill('SIGTERM');
      await web2.exited;
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

/** The issue queue's waiting and active jobs, as a web's /metrics gives them (undefined while it cannot count them). */
async function issueBacklog(webUrl: string): Promise<number | undefined> {
  const res = await fetch(`${webUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await res.text();
  const sample = (state: string) =>
    new RegExp(`^credbridge_queue_jobs\\{queue="issue",state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1];
  const [waiting, active] = [sample('waiting'), sample('active')];
  return waiting === undefined || active === undefined ? undefined : Number(waiting) + Number(active);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kills the primary that serves the issue queue and waits until another takes over: what was killed and who. */
async function killIssuePrimary(
  sw: ScaleWorld,
): Promise<{ killed: number; promoted: number; slot?: number }> {
  if (sw.sentinel) {
    const { sentinel } = sw;
    const killed = await sentinel.primaryPort();
    sentinel.primary.kill();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      const now = await sentinel.primaryPort().catch(() => undefined);
      if (now && now !== killed) return { killed, promoted: now };
    }
    throw new Error('the sentinels promoted no replica');
  }
  const cluster = sw.cluster!;
  const slot = await slotOf(cluster, queueKeyPrefix(sw.world.tool.config.QUEUE_PREFIX, 'issue'));
  const killed = await primaryOf(cluster, slot);
  const node = cluster.nodes.find((n) => n.port === killed);
  if (!killed || !node) throw new Error(`no primary serves the issue queue's slot ${slot}`);
  node.kill();
  // The replica is promoted once the others see the primary fail (cluster-node-timeout 2 s).
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(250)) {
    const now = await primaryOf(cluster, slot);
    if (now && now !== killed) return { killed, promoted: now, slot };
  }
  throw new Error('no replica took over the issue queue’s slot');
}

/** A credential of the batch verified by a web process's public endpoint: 200 and `verified`. */
async function verifiesAt(webUrl: string, credential: unknown): Promise<boolean> {
  const res = await fetch(`${webUrl}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: credential }),
  });
  return res.status === 200 && ((await res.json()) as { verified?: boolean }).verified === true;
}

export async function scaleFailoverDrill(
  sw: ScaleWorld,
  learners: number,
  workers = 3,
): Promise<DrillResult> {
  const { world, web2 } = sw;
  const webs = [world.tool.url, web2.url];
  const started = Date.now();
  const marks: Record<string, number> = {};
  const mark = (name: string) => void (marks[name] = Math.round((Date.now() - started) / 100) / 10);
  await world.startWorkers(workers);
  mark('workers up');
  // Each web process's view of the backlog, sampled in turn.
  const backlog: number[][] = webs.map(() => []);
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [i, url] of webs.entries()) {
        const n = await issueBacklog(url).catch(() => undefined);
        if (n !== undefined) backlog[i]!.push(n);
      }
      await sleep(250);
    }
  })();
  const batch = await world.newBatch(`${sw.topology}-${randomBytes(2).toString('hex')}`, learners);
  await world.sync(batch);
  const synced = Date.now();
  mark('batch synced');
  await world.waitIssued(batch, Math.floor(learners / 3), 120_000 + learners * 400);
  const perSecond = (await world.issued(batch)) / Math.max((Date.now() - synced) / 1000, 0.001);
  const issuedWhenKilled = await world.issued(batch);
  const failover = await killIssuePrimary(sw);
  mark('primary killed, replica promoted');
  const ended = {
    at: Date.now(),
    boundMs: recoveryBoundMs(world.tool.env, learners - (await world.issued(batch)), perSecond),
  };
  const tally = await world.settle(batch, 120_000 + learners * 400);
  mark('settled');
  // Jobs the failover left behind (re-enqueued ones of requests since issued) are taken within a worker's drain
  // delay and end as "already issued": the backlog falls to nothing, as each web process reports it.
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && backlog.some((b) => b.at(-1) !== 0);)
    await sleep(250);
  mark('backlog drained');
  sampling = false;
  await sampler;
  // Both web processes followed the failover: ready, and their public endpoint (rate-limited in Redis) verifies.
  const request = await IssuanceRequest.findOne({ bindingId: batch.bindingId, state: 'issued' }).lean();
  const [one] = request ? await findCredentials({ ids: [String(request._id)] }, 1) : [];
  const websAfter = await Promise.all(
    webs.map(async (url) => ({
      ready: (await fetch(`${url}/readyz`)).status === 200,
      verifies: one ? await verifiesAt(url, one.ob3) : false,
    })),
  );
  const running = world.workers.splice(0);
  for (const w of running) w.child.kill('SIGTERM');
  await Promise.all(running.map((w) => w.exited));
  return {
    name: `${sw.topology} primary loss`,
    tally,
    ms: Date.now() - started,
    recoveryMs: world.settledAt - ended.at,
    recoveryBoundMs: ended.boundMs,
    notes: {
      ...failover,
      issuedWhenKilled,
      backlogMax: Math.max(0, ...backlog.flat()),
      backlogEnd: backlog.map((b) => b.at(-1)),
      backlogSamples: backlog.map((b) => b.length),
      websAfter,
      phases: marks,
    },
  };
}
