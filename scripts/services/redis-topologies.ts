import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, run, startDaemon, stopDaemon, waitFor, which } from './process.js';

/**
 * Redis Sentinel and Redis Cluster started from Debian's redis-server on loopback, for the topology tests and
 * drills: nothing kept on disk (MongoDB holds the truth), every node a process the caller may kill.
 */

export interface RedisNode {
  port: number;
  child: ChildProcess;
  kill(): void;
}

const answers = async (port: number): Promise<boolean> => {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
};

async function startNode(binary: string, dir: string, args: string[], port?: number): Promise<RedisNode> {
  const p = port ?? (await freePort());
  const nodeDir = join(dir, String(p));
  await mkdir(nodeDir, { recursive: true });
  const child = startDaemon(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(p),
      '--dir',
      nodeDir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...args,
    ],
    join(nodeDir, 'redis.log'),
  );
  await waitFor(`Redis on port ${p}`, () => answers(p), 15_000);
  return { port: p, child, kill: () => child.kill('SIGKILL') };
}

export function redisServerBinary(): string {
  const found = which('redis-server', ['/usr/sbin', '/usr/bin']);
  if (!found) throw new Error('redis-server was not found: install Debian’s redis-server');
  return found;
}

export interface SentinelSetup {
  url: string;
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/** A primary, one replica and three sentinels (quorum 2) watching them, quick to fail over (1 s down-after). */
export async function startSentinel(dir: string, name = 'credbridge'): Promise<SentinelSetup> {
  const binary = redisServerBinary();
  const primary = await startNode(binary, dir, []);
  const replica = await startNode(binary, dir, ['--replicaof', '127.0.0.1', String(primary.port)]);
  const sentinels: RedisNode[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
      ].join('\n') + '\n',
    );
    const child = startDaemon(binary, [conf, '--sentinel'], join(dir, `sentinel-${port}.log`));
    await waitFor(`Sentinel on port ${port}`, () => answers(port), 15_000);
    sentinels.push({ port, child, kill: () => child.kill('SIGKILL') });
  }
  const primaryPort = async () => {
    const out = await run('redis-cli', [
      '-p',
      String(sentinels[0]!.port),
      'sentinel',
      'get-master-addr-by-name',
      name,
    ]);
    // A sentinel mid-election may answer with nothing usable: say so rather than return NaN as a port.
    const port = Number(out.trim().split('\n')[1]);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`the sentinel named no primary: ${out.trim()}`);
    return port;
  };
  return {
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${name}`,
    primary,
    replica,
    sentinels,
    primaryPort,
    stop: async () => {
      await Promise.all([primary, replica, ...sentinels].map((n) => stopDaemon(n.child)));
    },
  };
}

export interface ClusterSetup {
  url: string;
  nodes: RedisNode[];
  stop(): Promise<void>;
}

/** A Redis Cluster of `primaries` primaries, each with `replicas` replicas, its slots spread by redis-cli. */
export async function startCluster(dir: string, primaries = 3, replicas = 0): Promise<ClusterSetup> {
  const binary = redisServerBinary();
  const nodes: RedisNode[] = [];
  for (let i = 0; i < primaries * (1 + replicas); i++)
    nodes.push(
      await startNode(binary, dir, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
      ]),
    );
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-replicas',
    String(replicas),
    '--cluster-yes',
  ]);
  await waitFor(
    'the cluster',
    async () =>
      (
        await Promise.all(
          nodes.map(async (n) =>
            (await run('redis-cli', ['-p', String(n.port), 'cluster', 'info'])).includes('cluster_state:ok'),
          ),
        )
      ).every(Boolean),
    20_000,
  );
  return {
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => stopDaemon(n.child)));
    },
  };
}
