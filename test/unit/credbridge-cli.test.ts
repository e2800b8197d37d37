import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/credentials/project-files.js';
import { EXAMPLE_TEMPLATE_FILE } from '../helpers/credentials.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process, without MongoDB or Redis settings. */
function cli(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.MONGODB_URI;
  delete env.REDIS_URL;
  return new Promise((resolve) => {
    execFile(
      projectPath('node_modules', '.bin', 'tsx'),
      [projectPath('src', 'cli', 'index.ts'), ...args],
      { env, cwd: projectPath() },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('credbridge CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credbridge-cli-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('template validate: exit 0 for the example template', async () => {
    const run = await cli('template', 'validate', EXAMPLE_TEMPLATE_FILE);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('publishable');
  });

  it('template validate: exit 1 listing every problem', async () => {
    const template = JSON.parse(await readFile(EXAMPLE_TEMPLATE_FILE, 'utf8'));
    delete template.workload;
    delete template.qualityAssurance;
    const file = join(dir, 'incomplete.json');
    await writeFile(file, JSON.stringify(template));
    const run = await cli('template', 'validate', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('element 7 "notional workload');
    expect(run.stderr).toContain('element 11 "type of quality assurance');
  });

  it('template validate: names malformed fields', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ format: 'credbridge-template/1', key: 'x!', level: { eqf: 9 } }));
    const run = await cli('template', 'validate', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('key:');
    expect(run.stderr).toContain('level.eqf:');
  });

  it.each(['ob3', 'elm'])(
    'credential sample --format %s prints a signed credential that verifies',
    async (format) => {
      const learner = join(dir, 'learner.json');
      await writeFile(learner, JSON.stringify({ fullName: 'Zoë Ξένη' }));
      const sample = await cli(
        'credential',
        'sample',
        '--template',
        EXAMPLE_TEMPLATE_FILE,
        '--format',
        format,
        '--learner',
        learner,
        '--ephemeral',
      );
      expect(sample.code).toBe(0);
      const doc = JSON.parse(sample.stdout);
      expect(doc.proof.cryptosuite).toBe('eddsa-rdfc-2022');
      expect(doc.issuer.id ?? doc.issuer).toMatch(/^did:key:z6Mk/);
      expect(sample.stdout).toContain('Zoë Ξένη');
      const file = join(dir, `${format}.json`);
      await writeFile(file, sample.stdout);
      const ok = await cli('credential', 'verify', file);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^VERIFIED/);
      expect(ok.stdout).toContain('ok   proof');

      await writeFile(file, sample.stdout.replace('Zoë Ξένη', 'Zoë Ξένα'));
      const bad = await cli('credential', 'verify', file);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain('FAIL proof');
    },
    60_000,
  );

  it('refuses unknown commands and missing options with usage (exit 2)', async () => {
    expect((await cli('nope')).code).toBe(2);
    const run = await cli(
      'credential',
      'sample',
      '--template',
      EXAMPLE_TEMPLATE_FILE,
      '--format',
      'pdf',
      '--ephemeral',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--format must be ob3 or elm');
  });
});
