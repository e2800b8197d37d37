import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/credentials/project-files.js';

describe('npm run bench (smoke)', () => {
  it('writes {machine, figures} with every figure field, at a tiny size (no targets asserted)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credbridge-bench-'));
    const out = join(dir, 'latest.json');
    try {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          projectPath('node_modules', '.bin', 'tsx'),
          [
            projectPath('bench', 'run.ts'),
            '--size',
            'small',
            '--iterations',
            '2',
            '--runs',
            '1',
            '--store',
            'sqlite',
            '--out',
            out,
          ],
          { cwd: projectPath() },
          (err, so) => (err ? reject(err) : resolve(so)),
        ),
      );
      expect(stdout).toContain('credential engine ELM issue');
      const result = JSON.parse(await readFile(out, 'utf8'));
      expect(result.machine.cpus).toBeGreaterThan(0);
      expect(result.machine.store).toBe('FerretDB 1.24 over SQLite');
      const names = result.figures.map((f: { name: string }) => f.name).join('\n');
      for (const part of [
        'credential engine ELM issue',
        'pipeline',
        '2 worker processes',
        'on a Redis Cluster, 4 credentials with 2 worker processes',
        'grade sync, first',
        'no-change re-sync',
        'rule evaluation',
        'launch p95',
        'public verify endpoint',
        'worker peak resident memory',
        'web peak resident memory',
      ]) {
        expect(names).toContain(part);
      }
      for (const f of result.figures) {
        expect(Object.keys(f).sort()).toEqual([
          'baseline',
          'met',
          'name',
          'ratio',
          'target',
          'unit',
          'value',
        ]);
        expect(f.value).toBeGreaterThan(0);
        if (f.baseline !== null) expect(f.baseline).toBeGreaterThan(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
