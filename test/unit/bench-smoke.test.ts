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
          [projectPath('bench', 'run.ts'), '--iterations', '2', '--runs', '1', '--out', out],
          { cwd: projectPath() },
          (err, so) => (err ? reject(err) : resolve(so)),
        ),
      );
      expect(stdout).toContain('credential engine ELM issue');
      const result = JSON.parse(await readFile(out, 'utf8'));
      expect(result.machine.cpus).toBeGreaterThan(0);
      expect(result.figures).toHaveLength(4);
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
        expect(f.baseline).toBeGreaterThan(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
