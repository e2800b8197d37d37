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

/** Runs the CLI as a child process, without MongoDB or Redis settings (and `extraEnv` added). */
function cli(...args: string[]): Promise<Run> {
  return cliWith({}, ...args);
}

function cliWith(extraEnv: Record<string, string>, ...args: string[]): Promise<Run> {
  const env = { ...process.env, ...extraEnv };
  delete env.MONGODB_URI;
  delete env.REDIS_URL;
  if (!('TRUSTED_ISSUERS' in extraEnv)) delete env.TRUSTED_ISSUERS;
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
    expect(run.stderr).toContain('element 7 “notional workload');
    expect(run.stderr).toContain('element 11 “type of quality assurance');
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
    'credential sample --format %s: signed by a throwaway did:key, verified only once that key is trusted',
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
      // A sample's key is nobody's: the signature holds, but no one vouches for the issuer (exit 3).
      const did = (doc.issuer.id ?? doc.issuer) as string;
      const unknown = await cli('credential', 'verify', file);
      expect(unknown.code).toBe(3);
      expect(unknown.stdout).toMatch(/^SIGNATURE VALID, ISSUER NOT RECOGNISED/);
      expect(unknown.stdout).toContain(`issuer: ${did}, not recognised; the credential states the name "`);
      expect(unknown.stdout).toContain('ok   proof');
      expect(unknown.stdout).toContain(`FAIL issuer: issuer ${did} not recognised`);

      // Listed in TRUSTED_ISSUERS it is recognised, its name still marked as the credential's own claim.
      const ok = await cliWith(
        { TRUSTED_ISSUERS: `did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH,${did}` },
        'credential',
        'verify',
        file,
      );
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^VERIFIED/);
      expect(ok.stdout).toContain(
        `issuer: ${did}, on the trusted list (TRUSTED_ISSUERS); the credential states`,
      );
      expect(ok.stdout).toContain('ok   proof');
      expect(ok.stdout).toContain('warning: issuer: the name');

      await writeFile(file, sample.stdout.replace('Zoë Ξένη', 'Zoë Ξένα'));
      const bad = await cliWith({ TRUSTED_ISSUERS: did }, 'credential', 'verify', file);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^NOT VERIFIED/);
      expect(bad.stdout).toContain('FAIL proof');
      // A broken signature is "not verified" whoever the issuer is, never "issuer not recognised".
      expect((await cli('credential', 'verify', file)).code).toBe(1);
    },
    60_000,
  );

  it('seal verify checks the EU’s sealed sample: intact, certificate expired since, not chained (exit 3)', async () => {
    const run = await cli('seal', 'verify', 'test/fixtures/elm/Sample-MC-Annex1-signed.jsonld');
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('Seal valid, certificate not chained to a trust anchor');
    expect(run.stdout).toMatch(/ok {3}signature: the seal covers these exact bytes/);
    expect(run.stdout).toMatch(/has expired since \(2025-05-10/);
    const anchors = join(dir, 'anchors.pem');
    await writeFile(anchors, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const bad = await cli(
      'seal',
      'verify',
      'test/fixtures/elm/Sample-MC-Annex1-signed.jsonld',
      '--anchors',
      anchors,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('certificate 1 of the trust anchors is not a valid X.509 certificate');
  });

  it('credential sample --sealed prints a sealed European credential that seal verify and credential verify check', async () => {
    const sample = await cli(
      'credential',
      'sample',
      '--template',
      'config/templates/applied-data-analysis.json',
      '--format',
      'elm',
      '--ephemeral',
      '--sealed',
    );
    expect(sample.code).toBe(0);
    const doc = JSON.parse(sample.stdout) as { payload: string; signatures: unknown[] };
    expect(JSON.parse(doc.payload).type).toContain('EuropeanDigitalCredential');
    const file = join(dir, 'sealed.json');
    await writeFile(file, sample.stdout);
    const seal = await cli('seal', 'verify', file);
    expect(seal.code).toBe(3);
    expect(seal.stdout).toContain(
      'sealed by: O=Atlantic Polytechnic Institute, CN=Credbridge test seal, not qualified',
    );
    // The payload is read through the seal: a test seal's holder is nobody this command knows (exit 3).
    const verify = await cli('credential', 'verify', file);
    expect(verify.stdout).toMatch(
      /ok {3}proof: JAdES seal verified: sealed by Atlantic Polytechnic Institute/,
    );
    expect(verify.code).toBe(3);
    await writeFile(
      file,
      sample.stdout.replace('Atlantic Polytechnic Institute\\"', 'Atlantic Polytechnic Institvte\\"'),
    );
    const changed = await cli('credential', 'verify', file);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('JAdES seal: the seal does not match the payload');
    expect(
      (
        await cli(
          'credential',
          'sample',
          '--template',
          'config/templates/applied-data-analysis.json',
          '--format',
          'ob3',
          '--ephemeral',
          '--sealed',
        )
      ).code,
    ).toBe(2);
  }, 60_000);

  it('credential verify refuses a malformed TRUSTED_ISSUERS, naming the entry', async () => {
    const file = join(dir, 'any.json');
    await writeFile(file, JSON.stringify({ issuer: 'did:key:z6Mkx' }));
    const run = await cliWith({ TRUSTED_ISSUERS: 'not-a-did' }, 'credential', 'verify', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('TRUSTED_ISSUERS: not a DID or https URL: not-a-did');
  });

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
