import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, run, startDaemon, stopDaemon, waitFor, which } from './process.js';
import type { ServiceHandle } from './types.js';

/** `redis-server` on PATH; on Debian as root, installed from Debian's packages when missing. */
export async function findRedisServer(log: (line: string) => void): Promise<string> {
  const found = which('redis-server', ['/usr/sbin', '/usr/bin']);
  if (found) return found;
  if (process.getuid?.() === 0 && existsSync('/etc/debian_version')) {
    log("installing Debian's redis-server");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { env });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { env });
    const installed = which('redis-server', ['/usr/sbin', '/usr/bin']);
    if (installed) return installed;
  }
  throw new Error('redis-server was not found: install Redis 7, or set REDIS_URL to a running server');
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } finally {
    client.disconnect();
  }
}

export async function startRedis(binary: string, dataDir: string): Promise<ServiceHandle> {
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  // Like production's queue store, but nothing is kept on disk: MongoDB holds the truth.
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dataDir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const launch = async () => {
    const child = startDaemon(binary, args, join(dataDir, 'redis.log'));
    await waitFor(`Redis on port ${port}`, () => redisAnswers(url), 15_000);
    return child;
  };
  let child = await launch();
  return {
    name: 'Redis',
    url,
    description: `Redis (${binary}) on ${url}`,
    stop: () => stopDaemon(child),
    start: async () => {
      child = await launch();
    },
  };
}
