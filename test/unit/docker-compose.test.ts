import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { parseRedisUrl } from '../../src/queue/redis-topology.js';

/**
 * `docker compose config` parses the production compose file without an engine. `npm test` finds or builds
 * Compose v2 (scripts/compose.sh) and passes it in CREDBRIDGE_COMPOSE; a bare jest run tries the plugin.
 */
function composeCommand(): string[] | undefined {
  if (process.env.CREDBRIDGE_COMPOSE) return process.env.CREDBRIDGE_COMPOSE.split(' ');
  return spawnSync('docker', ['compose', 'version']).status === 0 ? ['docker', 'compose'] : undefined;
}

const compose = composeCommand();
const maybe = compose ? it : it.skip;
if (!compose)
  console.warn('Docker Compose v2 not found (run scripts/compose.sh): compose file check skipped');

function config(env: Record<string, string>, file = 'docker/compose.yml') {
  const [cmd, ...args] = compose!;
  return spawnSync(cmd!, [...args, '-f', file, 'config'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
  });
}

describe('docker/compose.yml', () => {
  maybe('parses, with MongoDB 7, Redis 7, web and worker', () => {
    const result = config({ PUBLIC_URL: 'https://credbridge.example.org' });
    expect(result.stderr).not.toMatch(/error|invalid/i);
    expect(result.status).toBe(0);
    for (const line of ['image: mongo:7', 'image: redis:7', '  web:', '  worker:', 'dist/src/worker.js']) {
      expect(result.stdout).toContain(line);
    }
  });

  it('runs the worker with the node flags of `npm run start:worker`', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const expected = pkg.scripts['start:worker']!.split(/\s+/);
    const line = /^ {4}command: \[(.*worker\.js.*)\]$/m.exec(readFileSync('docker/compose.yml', 'utf8'))?.[1];
    expect(line?.split(',').map((t) => t.trim().replace(/^'|'$/g, ''))).toEqual(expected);
  });

  it('runs the web with the node flags of `npm start` (the image command)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('docker/Dockerfile', 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(pkg.scripts.start!.split(/\s+/));
  });

  maybe('refuses to start without PUBLIC_URL, naming it', () => {
    const result = config({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PUBLIC_URL');
  });
});

describe('docker/compose.scale.yml', () => {
  const env = {
    PUBLIC_URL: 'https://credbridge.example.org',
    METRICS_TOKEN: 'x'.repeat(40),
    GRAFANA_ADMIN_PASSWORD: 'grafana-password',
  };

  maybe(
    'parses: a MongoDB replica set, Redis Sentinel, two web and three worker processes, Prometheus, Grafana',
    () => {
      const result = config(env, 'docker/compose.scale.yml');
      expect(result.stderr).not.toMatch(/error|invalid/i);
      expect(result.status).toBe(0);
      for (const service of [
        'mongo-1',
        'mongo-2',
        'mongo-3',
        'mongo-init',
        'redis-primary',
        'redis-replica',
        'sentinel-1',
        'sentinel-2',
        'sentinel-3',
        'web',
        'worker',
        'prometheus',
        'grafana',
      ])
        expect(result.stdout).toContain(`  ${service}:`);
      expect(result.stdout).toContain('replicaSet=rs0');
      expect(result.stdout).toContain(
        'redis+sentinel://sentinel-1:26379,sentinel-2:26379,sentinel-3:26379/credbridge',
      );
      expect(result.stdout).toMatch(/web:[\s\S]*?replicas: 2/);
      expect(result.stdout).toMatch(/worker:[\s\S]*?replicas: 3/);
    },
  );

  maybe('refuses to start without the metrics token, naming it', () => {
    const result = config({ ...env, METRICS_TOKEN: '' }, 'docker/compose.scale.yml');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('METRICS_TOKEN');
  });

  it('gives the processes settings the configuration accepts', () => {
    const text = readFileSync('docker/compose.scale.yml', 'utf8');
    const redisUrl = /REDIS_URL: (\S+)/.exec(text)?.[1] ?? '';
    expect(parseRedisUrl(redisUrl)).toMatchObject({ kind: 'sentinel', name: 'credbridge' });
    // Prometheus scrapes what the processes serve, with the token file the compose file mounts.
    const prometheus = parse(readFileSync('docker/prometheus.yml', 'utf8')) as {
      scrape_configs: { job_name: string; authorization: { credentials_file: string } }[];
    };
    expect(prometheus.scrape_configs.map((c) => c.job_name)).toEqual(['credbridge-web', 'credbridge-worker']);
    expect(text).toContain('target: /etc/prometheus/metrics-token');
    expect(prometheus.scrape_configs.every((c) => c.authorization.credentials_file === 'metrics-token')).toBe(
      true,
    );
  });
});
