import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

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

function config(env: Record<string, string>) {
  const [cmd, ...args] = compose!;
  return spawnSync(cmd!, [...args, '-f', 'docker/compose.yml', 'config'], {
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
