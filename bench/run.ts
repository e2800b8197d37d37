/**
 * npm run bench [-- --size full|medium|small --engine-only --store auto|sqlite|postgresql
 *                   --only rules,launch,sync,pipeline,cluster,verify,vc-api --iterations N --runs R --out FILE]
 * 1. Credential engine throughput against raw @digitalbazaar/vc for the same documents, same process, same run:
 * issue = build + sign through the engine vs vc.issue of the prebuilt document; verify = the engine's verifier
 * (input, issuer, dates, proof) vs vc.verifyCredential. Each figure is the median of R runs of N operations.
 * Target: the engine's own overhead under 15% of the raw time (ratio = engine time / raw time <= 1.15).
 * 2. The whole system on real processes (bench/system.ts): pipeline with 1 and 2 workers, the pipeline with 1, 2
 *    and 3 workers on a six-node Redis Cluster as ratios to the same on one Redis, grade sync over HTTP,
 *    rule evaluation, LTI launch, the public verify endpoint, the VC API (issue and verify over HTTP against the
 *    engine in this process), peak memory. `--size small` is the CI smoke size.
 * Writes bench/results/latest.json ({machine, figures}) and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { bundledContexts } from '../src/credentials/contexts.js';
import { didKeyDocument, generateDidKey } from '../src/credentials/did-key.js';
import { setScopedContextReuse } from '../src/credentials/jsonld-patch.js';
import { createDocumentLoader } from '../src/credentials/document-loader.js';
import { buildElmCredential } from '../src/credentials/elm.js';
import { buildOb3Credential } from '../src/credentials/ob3.js';
import { signCredential } from '../src/credentials/signer.js';
import { trustedListRecogniser, verifyCredential } from '../src/credentials/verifier.js';
import type { AwardInput } from '../src/credentials/award.js';
import { templateSchema } from '../src/templates/schema.js';
import { readProjectJson } from '../src/credentials/project-files.js';
import { sealCredential } from '../src/seals/jades-seal.js';
import { makeTestSeal } from '../src/seals/test-seal.js';

import { atLeast, median, type Figure } from './figures.js';
import { chooseStore, parseStoreKind, type StoreChoice } from './store.js';
import { systemFigures, type SystemSizes } from './system.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}
const sizeAt = process.argv.indexOf('--size');
const size = sizeAt >= 0 ? process.argv[sizeAt + 1] : 'full';
const presets: Record<string, SystemSizes> = {
  small: {
    pipelineLearners: 8,
    clusterLearners: 4,
    // The smoke size runs the cluster comparison once, with two workers: the scale drill covers the cluster's
    // correctness, and each worker count costs six fresh worker processes.
    clusterWorkers: [2],
    syncLearners: 20,
    syncItems: 4,
    ruleLearners: 500,
    verifications: 4,
    launches: 4,
  },
  medium: {
    pipelineLearners: 1000,
    clusterLearners: 200,
    clusterWorkers: [1, 2, 3],
    syncLearners: 1000,
    syncItems: 20,
    ruleLearners: 5000,
    verifications: 100,
    launches: 30,
  },
  full: {
    pipelineLearners: 5000,
    clusterLearners: 600,
    clusterWorkers: [1, 2, 3],
    syncLearners: 5000,
    syncItems: 20,
    ruleLearners: 5000,
    verifications: 200,
    launches: 60,
  },
};
const sizes = presets[size ?? 'full'];
if (!sizes) throw new Error(`--size must be one of ${Object.keys(presets).join(', ')}`);
const iterations = option('iterations', 40);
const runs = option('runs', 5);
const storeAt = process.argv.indexOf('--store');
const storeChoice = parseStoreKind(storeAt >= 0 ? process.argv[storeAt + 1]! : 'auto');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : undefined;
const outAt = process.argv.indexOf('--out');
const out = resolve(outAt >= 0 ? process.argv[outAt + 1]! : 'bench/results/latest.json');

async function timed(op: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await op();
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Operations per second of the engine and of the raw library: median over `runs` runs of `iterations`
 * sequential operations, the two runs interleaved so that drift (JIT, GC, a busy neighbour) hits both alike.
 */
async function rates(
  engineOp: () => Promise<unknown>,
  raw: () => Promise<unknown>,
): Promise<[number, number]> {
  const engine = async () => {
    setScopedContextReuse(true);
    try {
      return await engineOp();
    } finally {
      setScopedContextReuse(false);
    }
  };
  for (let i = 0; i < 3; i++) {
    await engine(); // warm caches and JIT; one at a time, since the switch is process-wide
    await raw();
  }
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

// Raw baselines use jsonld as published; the engine's figures switch on the patch the product installs
// (patches/README.md) around each of its own operations, and the product's processes always run with it.
setScopedContextReuse(false);

const template = templateSchema.parse(readProjectJson('config', 'templates', 'applied-data-analysis.json'));
const key = await generateDidKey();
const loader = createDocumentLoader();
// The bench's own did:key is the one trusted issuer (recognition is one Set lookup on either side).
const trusted = trustedListRecogniser([key.controller!]);
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
  // Every credential the product issues carries its status entry: the same documents on both sides.
  status: {
    statusPurpose: 'message',
    statusListIndex: 1_000 + n,
    statusListCredential: 'https://credbridge.example.org/status-lists/state-list',
  },
});

const figures: Figure[] = [];
const rawIssueRate: Record<string, number> = {};
const formats = { ob3: buildOb3Credential, elm: buildElmCredential } as const;
for (const [format, build] of Object.entries(formats)) {
  const prebuilt = build(award());
  const [engineIssue, rawIssue] = await rates(
    () => signCredential(build(award()), key, loader),
    () => vc.issue({ credential: structuredClone(prebuilt), suite: rawSuite, documentLoader: rawLoader }),
  );
  rawIssueRate[format] = rawIssue;
  // Verified without status entries: this in-process loader serves no status lists (the public verify endpoint
  // figure below checks status).
  const signed = await signCredential(build({ ...award(), status: undefined }), key, loader);
  const [engineVerify, rawVerify] = await rates(
    async () => {
      const r = await verifyCredential(signed, { documentLoader: loader, recogniseIssuer: trusted });
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
    // Engine overhead under 15% of the raw time: engine rate >= raw rate / 1.15.
    figures.push(
      atLeast(
        `credential engine ${format.toUpperCase()} ${op} (ratio to raw @digitalbazaar/vc; target >= 0.87)`,
        'credentials/s',
        engine,
        raw,
        0.87,
      ),
    );
  }
}

/**
 * Sealing the ELM (JAdES, for Europass) against the Data Integrity proof it carries without a seal, both as the
 * product issues them (build included, the jsonld patch on), interleaved in the same runs: one signature over
 * the bytes against canonicalization and a signature. Target: sealed at least 1.5 times the Data Integrity rate.
 */
setScopedContextReuse(true);
for (const kind of ['ec', 'rsa'] as const) {
  const seal = await makeTestSeal('Bench Institute', new Date(), kind);
  const sealOp = () => sealCredential(buildElmCredential(award()), seal);
  const signOp = () => signCredential(buildElmCredential(award()), key, loader);
  for (let i = 0; i < 3; i++) await Promise.all([sealOp(), signOp()]);
  const sealed: number[] = [];
  const signed: number[] = [];
  for (let run = 0; run < runs; run++) {
    signed.push(await timed(signOp));
    sealed.push(await timed(sealOp));
  }
  figures.push(
    atLeast(
      `sealed ELM issue, JAdES ${kind === 'ec' ? 'ES256' : 'RS256 (RSA 3072)'} (ratio to the Data Integrity ELM issue; target >= 1.5)`,
      'credentials/s',
      median(sealed),
      median(signed),
      1.5,
    ),
  );
}
setScopedContextReuse(false);

/**
 * The pair the product issues per award: one OB3 and one ELM credential, raw vc.issue of each, one after the
 * other in this process. Measured again just before each pipeline run, so both see the same machine.
 */
async function rawPairsPerSecond(): Promise<number> {
  const ob3 = buildOb3Credential(award());
  const elm = buildElmCredential(award());
  const pairRates: number[] = [];
  for (let run = 0; run < runs; run++) {
    pairRates.push(
      await timed(async () => {
        await vc.issue({ credential: structuredClone(ob3), suite: rawSuite, documentLoader: rawLoader });
        await vc.issue({ credential: structuredClone(elm), suite: rawSuite, documentLoader: rawLoader });
      }),
    );
  }
  return median(pairRates);
}

let store: StoreChoice | undefined;
if (!process.argv.includes('--engine-only')) {
  // The processes run the compiled JavaScript, as in production (no TypeScript loader in their memory).
  process.stderr.write('[bench] building (npm run build)\n');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  store = await chooseStore(storeChoice);
  process.stderr.write(`[bench] store: ${store.description}\n`);
  figures.push(
    ...(await systemFigures(sizes, { rawPairsPerSecond, store, only, runs }, (line) =>
      process.stderr.write(`[bench] ${line}\n`),
    )),
  );
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  iterations,
  runs,
  size,
  sizes,
  store: store?.description ?? null,
  jsonld: 'product processes and engine figures patched (patches/README.md); raw baselines as published',
};
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ machine, figures }, null, 2)}\n`);

const rows = figures.map((f) => [
  f.name,
  `${f.value} ${f.unit}`,
  f.baseline === null ? '-' : `${f.baseline}`,
  f.ratio === null ? '-' : `${f.ratio}`,
  f.target === null ? '-' : `${f.target}`,
  f.met === null ? '-' : f.met ? 'yes' : 'NO',
]);
const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'met'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(
  `${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`,
);
process.stdout.write(`written to ${out}\n`);
