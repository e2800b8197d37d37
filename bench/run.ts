/**
 * npm run bench [-- --iterations N --runs R --out FILE]
 * Credential engine throughput against raw @digitalbazaar/vc for the same documents, same process, same run:
 * issue = build + sign through the engine vs vc.issue of the prebuilt document; verify = the engine's verifier
 * (input, issuer, dates, proof) vs vc.verifyCredential. Each figure is the median of R runs of N operations.
 * Target: the engine's own overhead under 15% of the raw time (ratio = engine time / raw time <= 1.15).
 * Writes bench/results/latest.json ({machine, figures}); other figures are added to the same list later.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { bundledContexts } from '../src/credentials/contexts.js';
import { didKeyDocument, generateDidKey } from '../src/credentials/did-key.js';
import { createDocumentLoader } from '../src/credentials/document-loader.js';
import { buildElmCredential } from '../src/credentials/elm.js';
import { buildOb3Credential } from '../src/credentials/ob3.js';
import { signCredential } from '../src/credentials/signer.js';
import { verifyCredential } from '../src/credentials/verifier.js';
import type { AwardInput } from '../src/credentials/award.js';
import { templateSchema } from '../src/templates/schema.js';
import { readProjectJson } from '../src/credentials/project-files.js';

interface Figure {
  name: string;
  unit: string;
  value: number;
  baseline: number;
  ratio: number;
  target: number;
  met: boolean;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const iterations = option('iterations', 40);
const runs = option('runs', 5);
const outAt = process.argv.indexOf('--out');
const out = resolve(outAt >= 0 ? process.argv[outAt + 1]! : 'bench/results/latest.json');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(op: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Operations per second of the engine and of the raw library: median over `runs` runs of `iterations`
 * sequential operations, the two runs interleaved so that drift (JIT, GC, a busy neighbour) hits both alike.
 */
async function rates(engine: () => Promise<unknown>, raw: () => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 3; i++) await Promise.all([engine(), raw()]); // warm caches and JIT
  const e: number[] = [];
  const r: number[] = [];
  for (let run = 0; run < runs; run++) {
    r.push(await timed(raw));
    e.push(await timed(engine));
  }
  return [median(e), median(r)];
}

// The raw baseline gets the leanest possible loader: a Map lookup, and did:key computed.
async function rawLoader(url: string) {
  const context = bundledContexts.get(url);
  if (context) return { contextUrl: null, documentUrl: url, document: context };
  const [did, fragment] = url.split('#');
  const doc = await didKeyDocument(did!);
  if (!doc) throw new Error(`not found: ${url}`);
  const document = fragment ? { '@context': doc['@context'], ...doc.verificationMethod[0] } : doc;
  return { contextUrl: null, documentUrl: url, document };
}

const template = templateSchema.parse(readProjectJson('config', 'templates', 'applied-data-analysis.json'));
const key = await generateDidKey();
const loader = createDocumentLoader();
const rawSuite = new DataIntegrityProof({ signer: key.signer(), cryptosuite });
const rawVerifySuite = new DataIntegrityProof({ cryptosuite });
let n = 0;
const award = (): AwardInput => ({
  template,
  issuer: { did: key.controller!, profile: template.awardingBodies![0]! },
  learner: { fullName: 'Ana Andromeda', email: 'ana@example.org' },
  evidence: { grade: '87%' },
  credentialId: `bench-${++n}`,
  publicUrl: 'https://credbridge.example.org',
});

const figures: Figure[] = [];
const formats = { ob3: buildOb3Credential, elm: buildElmCredential } as const;
for (const [format, build] of Object.entries(formats)) {
  const prebuilt = build(award());
  const [engineIssue, rawIssue] = await rates(
    () => signCredential(build(award()), key, loader),
    () => vc.issue({ credential: structuredClone(prebuilt), suite: rawSuite, documentLoader: rawLoader }),
  );
  const signed = await signCredential(prebuilt, key, loader);
  const [engineVerify, rawVerify] = await rates(
    async () => {
      const r = await verifyCredential(signed, { documentLoader: loader });
      if (!r.verified) throw new Error('engine verify failed');
    },
    async () => {
      const r = await vc.verifyCredential({
        credential: signed,
        suite: rawVerifySuite,
        documentLoader: rawLoader,
      });
      if (!r.verified) throw new Error('raw verify failed');
    },
  );
  for (const [op, engine, raw] of [
    ['issue', engineIssue, rawIssue],
    ['verify', engineVerify, rawVerify],
  ] as const) {
    const ratio = raw / engine; // engine time / raw time
    figures.push({
      name: `credential engine ${format.toUpperCase()} ${op} (ratio = engine time / raw @digitalbazaar/vc time)`,
      unit: 'credentials/s',
      value: Math.round(engine * 10) / 10,
      baseline: Math.round(raw * 10) / 10,
      ratio: Math.round(ratio * 1000) / 1000,
      target: 1.15,
      met: ratio <= 1.15,
    });
  }
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  iterations,
  runs,
};
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ machine, figures }, null, 2)}\n`);

const rows = figures.map((f) => [
  f.name.replace(/ \(ratio.*/, ''),
  `${f.value}`,
  `${f.baseline}`,
  `${f.ratio}`,
  `<= ${f.target}`,
  f.met ? 'yes' : 'NO',
]);
const header = ['figure', 'engine/s', 'raw/s', 'ratio', 'target', 'met'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(
  `${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`,
);
process.stdout.write(`written to ${out}\n`);
