/**
 * The whole path, measured on real processes: the web process and worker processes as production runs them
 * (`node dist/src/server.js|worker.js`, built by bench/run.ts first) on private FerretDB and Redis servers,
 * with the LTI platform simulator over HTTP. Sizes come from the caller.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import * as vc from '@digitalbazaar/vc';
import { checkCredentialStatus } from '../src/credentials/status-check.js';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { connectDatabase, disconnectDatabase } from '../src/db/connection.js';
import '../src/db/models/index.js';
import { CourseBinding } from '../src/courses/binding-model.js';
import { evaluateRule, ruleSchema, type LearnerEvidence } from '../src/courses/rules.js';
import { Credential } from '../src/credentials/credential-model.js';
import { findCredentials } from '../src/credentials/credential-store.js';
import { createInstitution } from '../src/institutions/institutions.js';
import { findDefaultIssuer, signingIssuer } from '../src/issuers/issuers.js';
import { installationVerification } from '../src/issuers/recognition.js';
import { signCredential } from '../src/credentials/signer.js';
import { verifyCredential } from '../src/credentials/verifier.js';
import { setScopedContextReuse } from '../src/credentials/jsonld-patch.js';
import { buildOb3Credential } from '../src/credentials/ob3.js';
import { templateSchema } from '../src/templates/schema.js';
import { createRegistrationLink, registrationUrl } from '../src/lti/registration-links.js';
import { installationDocumentLoader } from '../src/issuers/resolvers.js';
import { enqueueIssue, enqueueSync } from '../src/issuance/queueing.js';
import { IssuanceRequest } from '../src/issuance/request-model.js';
import { createLogger } from '../src/log/logger.js';
import { LtiCourse, LtiPlatform } from '../src/lti/models.js';
import { createQueues, type Queues } from '../src/queue/queues.js';
import { createRedis } from '../src/queue/redis.js';
import { parseEncryptionKey } from '../src/security/encryption.js';
import { importTemplate, publishTemplate } from '../src/templates/lifecycle.js';
import { freePort } from '../scripts/services/process.js';
import { startLocalServices } from '../scripts/services/index.js';
import { startCluster } from '../scripts/services/redis-topologies.js';
import { Browser, readForm } from '../test/simulator/browser.js';
import { PlatformSimulator } from '../test/simulator/platform.js';
import { atLeast, atMost, median, percentile, type Figure } from './figures.js';
import type { StoreChoice } from './store.js';

export interface SystemSizes {
  pipelineLearners: number;
  /** Each run of the Redis Cluster comparison (on one Redis and on the cluster, per worker count). */
  clusterLearners: number;
  /** Worker process counts the Redis Cluster comparison runs with. */
  clusterWorkers: number[];
  syncLearners: number;
  syncItems: number;
  ruleLearners: number;
  verifications: number;
  launches: number;
}

interface Proc {
  child: ChildProcess;
  port: number;
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Peak resident set (VmHWM) of a process, in MB, from /proc. */
function peakRss(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function waitReady(port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`process on port ${port} not ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The node flags of an npm script (`start`, `start:worker`), so the bench runs the processes as deployed. */
function nodeFlagsOf(script: string): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts[script]!.split(/\s+/).filter((t) => t.startsWith('--'));
}

async function startProcess(
  entry: string,
  env: Record<string, string>,
  portVar: string,
  fixedPort?: number,
  nodeFlags: string[] = [],
): Promise<Proc> {
  const port = fixedPort ?? (await freePort());
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of each process there when it exits (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...nodeFlags, ...profile, entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, [portVar]: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakRss(child.pid))), 500);
  await waitReady(port);
  return {
    child,
    port,
    peakRssMb: () => Math.max(peak, peakRss(child.pid)),
    stop: async () => {
      clearInterval(sampler);
      peak = Math.max(peak, peakRss(child.pid));
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Polls `probe` every `everyMs` until it holds. Probes must be cheap, since they run beside what is measured:
 * the sync polls its binding every 20 ms, the pipeline the queue's counts in Redis every 50 ms.
 */
async function until(
  what: string,
  probe: () => Promise<boolean>,
  everyMs: number,
  timeoutMs = 1_800_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface SystemOptions {
  /** Raw single-process signing rate of the OB3 + ELM pair, measured when called. */
  rawPairsPerSecond: () => Promise<number>;
  store: StoreChoice;
  /** Sections to run (rules, launch, sync, pipeline, cluster, verify, vc-api); all when absent. */
  only?: string[];
  /** Interleaved runs whose median a side-by-side figure reports. */
  runs: number;
}

export async function systemFigures(
  sizes: SystemSizes,
  options: SystemOptions,
  log: (line: string) => void,
): Promise<Figure[]> {
  const figures: Figure[] = [];
  const wanted = (section: string) => !options.only || options.only.includes(section);
  const dataDir = await mkdtemp(join(tmpdir(), 'credbridge-bench-'));
  const services = await startLocalServices({
    dataDir,
    fresh: true,
    isolated: true,
    postgresqlUrl: options.store.postgresqlUrl,
    log: () => undefined,
  });
  const webPort = await freePort();
  const publicUrl = `http://127.0.0.1:${webPort}`;
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    MONGODB_URI: services.env.MONGODB_URI.replace(/\/[^/]*$/, '/bench'),
    REDIS_URL: services.env.REDIS_URL,
    QUEUE_PREFIX: 'bench',
    PUBLIC_URL: publicUrl,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_TOKEN: randomBytes(24).toString('hex'),
    RECONCILE_INTERVAL_MS: '600000',
    SYNC_DEBOUNCE_MS: '0',
    // The benchmark is the only client: lift the per-client limits of the public endpoints, and let the tool
    // call the local simulator as fast as it can (the default 10 requests/s protects a real LMS).
    RATE_LIMIT_DISABLED: 'true',
    LMS_REQUESTS_PER_SECOND: '200',
    // The simulator runs on this machine.
    OUTBOUND_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
    // Worker tuning given to the bench is passed on, to compare settings.
    ...(process.env.WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY } : {}),
  };
  const procs: Proc[] = [];
  const logger = createLogger('bench', 'silent');
  const sim = await new PlatformSimulator().start();
  try {
    await connectDatabase(env.MONGODB_URI!, logger);
    // A PostgreSQL store keeps what an interrupted run left: start from empty databases.
    await mongoose.connection.db!.dropDatabase();
    await mongoose.connection.useDb('bench-ltijs').dropDatabase();
    const redis = createRedis(env.REDIS_URL!, 'client', logger);
    const queues = createQueues(redis, env.QUEUE_PREFIX!);
    const web = await startProcess('dist/src/server.js', env, 'PORT', webPort, nodeFlagsOf('start'));
    procs.push(web);
    const startWorker = async (overrides: Record<string, string> = {}) => {
      const w = await startProcess(
        'dist/src/worker.js',
        { ...env, ...overrides },
        'WORKER_HEALTH_PORT',
        undefined,
        nodeFlagsOf('start:worker'),
      );
      procs.push(w);
      return w;
    };

    const kek = parseEncryptionKey(env.KEY_ENCRYPTION_KEY!);
    const templateJson = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8'));
    await createInstitution(
      { id: 'bench', profile: templateJson.awardingBodies[0], rootDid: true },
      { publicUrl, kek },
    );
    const draft = await importTemplate('bench', templateJson);
    await publishTemplate('bench', draft.key, draft.version);

    // --- rule evaluation alone --------------------------------------------------------------------------
    const items = Array.from({ length: sizes.syncItems }, (_, i) => `item-${i}`);
    if (wanted('rules')) {
      const rule = ruleSchema.parse({
        outcomes: [0, 1, 2].map((outcome) => ({
          outcome,
          evidence: items
            .filter((_, i) => i % 3 === outcome)
            .map((itemId) => ({ kind: 'assessment', itemId, threshold: { unit: 'percent', value: 50 } })),
        })),
      });
      const learners: LearnerEvidence[] = Array.from({ length: sizes.ruleLearners }, (_, l) => ({
        scores: Object.fromEntries(items.map((id, i) => [id, { score: (l * 7 + i * 13) % 101, max: 100 }])),
        activities: {},
        competencies: {},
      }));
      const ruleRuns: number[] = [];
      for (let run = 0; run < 5; run++) {
        const start = performance.now();
        let qualified = 0;
        for (const l of learners) if (evaluateRule(rule, l).qualified) qualified++;
        ruleRuns.push(learners.length / ((performance.now() - start) / 1000));
        if (qualified < 0) throw new Error('unreachable');
      }
      figures.push(
        atLeast(
          'rule evaluation (target: >= 200000 learner-rules/s)',
          'learner-rules/s',
          median(ruleRuns),
          null,
          200_000,
        ),
      );
      log(`rules: ${Math.round(median(ruleRuns))} learner-rules/s`);
    }

    // --- LTI: register the tool with the simulator, then launch --------------------------------------------
    const link = registrationUrl(publicUrl, (await createRegistrationLink('bench', 'admin:bench')).token);
    const registration = await new Browser().get(await sim.registrationUrl(link));
    if (registration.status !== 200) throw new Error(`registration failed: ${registration.status}`);
    const clientId = [...sim.tools.values()][0]!.clientId;
    sim.activateTool(clientId);
    sim.addUser('3', 'Terry Teacher');
    sim.addCourse('2', 'Benchmark Course', 'BENCH');
    sim.enrol('2', '3', 'Instructor');
    const platform = (await LtiPlatform.findOne().lean())!;
    const workerPeaks: number[] = [];
    /** The instructor's login + launch, as a browser does it. */
    const launch = async (client: string) => {
      const browser = new Browser();
      const { url, params } = sim.loginRequest(client, '3', '2');
      const form = readForm(await browser.get(`${url}?${new URLSearchParams(params)}`));
      return browser.post(form.action, form.fields);
    };
    // The course record the sync section reads comes from a launch.
    if (!wanted('launch') && (await launch(clientId)).status !== 200) throw new Error('launch failed');

    if (wanted('launch')) {
      // The baseline: a bare ltijs app doing the same launch. ltijs's dynamic registration does not send the
      // registration token when it reads the platform's configuration (Moodle requires it), so the bench
      // registers it on both sides by hand: with the simulator as a tool, and in ltijs as a platform.
      const ltijsPort = await freePort();
      const ltijsUrl = `http://127.0.0.1:${ltijsPort}`;
      const registered = await fetch(`${sim.url}/mod/lti/openid-registration.php`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await sim.registrationToken()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          application_type: 'web',
          response_types: ['id_token'],
          grant_types: ['implicit', 'client_credentials'],
          initiate_login_uri: `${ltijsUrl}/login`,
          redirect_uris: [ltijsUrl],
          client_name: 'ltijs baseline',
          jwks_uri: `${ltijsUrl}/keys`,
          token_endpoint_auth_method: 'private_key_jwt',
          'https://purl.imsglobal.org/spec/lti-tool-configuration': {
            domain: '127.0.0.1',
            target_link_uri: ltijsUrl,
            messages: [{ type: 'LtiResourceLinkRequest' }],
            claims: ['iss', 'sub', 'name'],
          },
        }),
      });
      const ltijsClientId = ((await registered.json()) as { client_id: string }).client_id;
      const ltijs = spawn(process.execPath, ['--import', 'tsx', 'bench/ltijs-app.ts'], {
        env: {
          PATH: process.env.PATH ?? '',
          PORT: String(ltijsPort),
          MONGODB_URI: services.env.MONGODB_URI.replace(/\/[^/]*$/, '/bench-ltijs'),
          PLATFORM_URL: sim.issuer,
          PLATFORM_CLIENT_ID: ltijsClientId,
          PLATFORM_AUTH_URL: sim.authUrl,
          PLATFORM_TOKEN_URL: sim.tokenUrl,
          PLATFORM_JWKS_URL: sim.jwksUrl,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.push({
        child: ltijs,
        port: ltijsPort,
        peakRssMb: () => 0,
        stop: async () => void ltijs.kill('SIGKILL'),
      });
      await new Promise<void>((resolve, reject) => {
        ltijs.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        ltijs.once('exit', (code) => reject(new Error(`ltijs baseline exited (${code})`)));
      });
      sim.activateTool(ltijsClientId);

      const launchTimes = async (client: string, ok: (page: { status: number; body: string }) => boolean) => {
        const times: number[] = [];
        for (let i = 0; i < sizes.launches; i++) {
          const start = performance.now();
          const page = await launch(client);
          if (!ok(page)) throw new Error(`launch failed: ${page.status} ${page.body.slice(0, 200)}`);
          times.push(performance.now() - start);
        }
        return times.slice(Math.min(3, times.length - 1)); // the first launches warm caches and JIT
      };
      // Interleaved rounds, so drift hits both alike.
      const ours: number[] = [];
      const bare: number[] = [];
      for (let round = 0; round < 2; round++) {
        ours.push(...(await launchTimes(clientId, (p) => p.status === 200)));
        bare.push(
          ...(await launchTimes(ltijsClientId, (p) => p.status === 200 && p.body.startsWith('launched'))),
        );
      }
      figures.push(
        atMost(
          'LTI login + launch p50 (ratio to a bare ltijs app)',
          'ms',
          percentile(ours, 50),
          percentile(bare, 50),
          null,
        ),
      );
      figures.push(
        atMost(
          'LTI login + launch p95 (ratio to a bare ltijs app; target <= 1.5)',
          'ms',
          percentile(ours, 95),
          percentile(bare, 95),
          1.5,
        ),
      );
      log(
        `launch: p50 ${Math.round(percentile(ours, 50))} ms, p95 ${Math.round(percentile(ours, 95))} ms; bare ltijs p95 ${Math.round(percentile(bare, 95))} ms`,
      );
    }

    // --- grade sync over HTTP: paged NRPS + AGS; nobody qualifies, so only sync work is measured ------------
    if (wanted('sync')) {
      const worker = await startWorker();
      const lineItems = items.map((label) => sim.addLineItem('2', label, { clientId, scoreMaximum: 100 }));
      for (let l = 0; l < sizes.syncLearners; l++) {
        const id = String(10_000 + l);
        sim.addUser(id, `Learner ${id}`);
        sim.enrol('2', id, 'Learner');
        for (const [i, item] of lineItems.entries()) sim.grade(item.id, id, (l + i) % 50);
      }
      const course = (await LtiCourse.findOne({ contextId: '2' }).lean())!;
      const typeId = sim.tool(clientId).typeId;
      const itemUrl = (id: number) =>
        `${sim.url}/mod/lti/services.php/2/lineitems/${id}/lineitem?type_id=${typeId}`;
      const syncBindingDoc = await CourseBinding.create({
        institutionId: 'bench',
        platformId: String(platform._id),
        deploymentId: platform.deploymentIds[0],
        contextId: '2',
        courseId: String(course._id),
        templateId: draft.key,
        templateVersion: draft.version,
        issuerId: 'bench',
        rule: {
          outcomes: [0, 1, 2].map((outcome) => ({
            outcome,
            evidence: lineItems
              .filter((_, i) => i % 3 === outcome)
              .map((li) => ({
                kind: 'assessment',
                itemId: itemUrl(li.id),
                threshold: { unit: 'percent', value: 50 },
              })),
          })),
        },
        source: { kind: 'ags', lineItemsUrl: course.lineItemsUrl, membershipsUrl: course.membershipsUrl },
      });
      const syncOnce = async () => {
        const before = new Date();
        const start = performance.now();
        await enqueueSync(queues, String(syncBindingDoc._id));
        let sync: {
          status?: string | null;
          at?: Date | null;
          newRequests?: number | null;
          learners?: number | null;
        } = {};
        await until(
          'grade sync',
          async () => {
            sync = (await CourseBinding.findById(syncBindingDoc._id).lean())?.sync ?? {};
            return !!sync.at && sync.at >= before && sync.status !== 'running';
          },
          20,
        );
        if (sync.status !== 'ok' || sync.learners !== sizes.syncLearners)
          throw new Error(`sync: ${JSON.stringify(sync)}`);
        return { seconds: (performance.now() - start) / 1000, newRequests: sync.newRequests ?? 0 };
      };
      const first = await syncOnce();
      const again = await syncOnce();
      const requestsAfter = await IssuanceRequest.countDocuments({ bindingId: String(syncBindingDoc._id) });
      figures.push(
        atMost(
          `grade sync, first full sync of ${sizes.syncLearners} learners x ${sizes.syncItems} items (target: <= 15 s)`,
          's',
          first.seconds,
          null,
          15,
        ),
      );
      figures.push(
        atMost(
          `grade sync, no-change re-sync (ratio to the first; target <= 0.333; enqueued ${again.newRequests + requestsAfter})`,
          's',
          again.seconds,
          first.seconds,
          again.newRequests + requestsAfter === 0 ? 0.333 : 0,
        ),
      );
      log(`sync: first ${first.seconds.toFixed(2)} s, re-sync ${again.seconds.toFixed(2)} s`);
      workerPeaks.push(worker.peakRssMb());
      await worker.stop();
    }

    // --- pipeline: requests in the outbox to signed, stored credentials -----------------------------------
    /**
     * One batch of `learners` queued requests, issued by `workers` fresh worker processes on the Redis that
     * `redisUrl` names (this process enqueues through `on`): credentials per second from the enqueue to the last.
     */
    const pipelineRate = async (
      workers: number,
      learners: number,
      on: { queues: Queues; redisUrl: string },
      label: string,
    ): Promise<number> => {
      // FerretDB over PostgreSQL pushes every equality filter down as `_jsonb->'field' @> value`, which its
      // btree indexes (on `_jsonb->'field'`) cannot serve, so even a read by _id scans the collection (seen in
      // pg_stat_activity). Each run therefore starts from empty request and credential collections, so that
      // every run meets the same store; MongoDB reads by _id through its index at any size.
      for (const model of [IssuanceRequest, Credential]) {
        await model.collection.drop().catch(() => undefined);
        await model.createIndexes();
      }
      const binding = await CourseBinding.create({
        institutionId: 'bench',
        platformId: String(platform._id),
        deploymentId: platform.deploymentIds[0],
        contextId: label,
        courseId: label,
        templateId: draft.key,
        templateVersion: draft.version,
        issuerId: 'bench',
        rule: { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] },
        source: { kind: 'manual' },
      });
      const ids = Array.from({ length: learners }, () => randomUUID());
      await IssuanceRequest.insertMany(
        ids.map((id, i) => ({
          _id: id,
          bindingId: String(binding._id),
          platformId: String(platform._id),
          deploymentId: platform.deploymentIds[0],
          contextId: label,
          learnerId: `learner-${i}`,
          learner: { name: `Learner ${i}`, gradable: false },
          state: 'queued',
        })),
      );
      const running = await Promise.all(
        Array.from({ length: workers }, () => startWorker({ REDIS_URL: on.redisUrl })),
      );
      const start = performance.now();
      await enqueueIssue(on.queues, ids);
      // Watched in Redis: counting issued requests scans the collection on FerretDB (about 100 ms at 20,000
      // requests), and polling that twice a second took CPU from the workers being measured.
      await until(
        `${label} batch`,
        async () => {
          const open = await on.queues.issue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
          return Object.values(open).every((n) => n === 0);
        },
        50,
      );
      const rate = ids.length / ((performance.now() - start) / 1000);
      const issued = await IssuanceRequest.countDocuments({
        bindingId: String(binding._id),
        state: 'issued',
      });
      if (issued !== ids.length) throw new Error(`${label}: ${issued} of ${ids.length} requests issued`);
      for (const w of running) {
        workerPeaks.push(w.peakRssMb());
        await w.stop();
      }
      return rate;
    };
    const single = { queues, redisUrl: env.REDIS_URL! };
    for (const workers of wanted('pipeline') ? [1, 2] : []) {
      const raw = await options.rawPairsPerSecond();
      log(`raw signing before the pipeline run: ${raw.toFixed(1)} pairs/s`);
      const rate = await pipelineRate(workers, sizes.pipelineLearners, single, `pipeline-${workers}`);
      figures.push(
        atLeast(
          `pipeline, ${sizes.pipelineLearners} credentials (OB3 + ELM) with ${workers} worker process${workers > 1 ? 'es' : ''} (ratio to raw single-process signing; target >= ${workers === 1 ? 0.8 : 1.5})`,
          'credentials/s',
          rate,
          raw,
          workers === 1 ? 0.8 : 1.5,
        ),
      );
      log(`pipeline x${workers}: ${rate.toFixed(1)} credentials/s`);
    }

    // --- the pipeline on a Redis Cluster against the same workers on one Redis ---------------------------
    // A six-node cluster (three primaries, each with a replica) from Debian's redis-server; each worker count
    // runs on one Redis and on the cluster in turn, `runs` times, and the figure is the median ratio.
    if (wanted('cluster')) {
      const cluster = await startCluster(join(dataDir, 'cluster'), 3, 1);
      const clusterRedis = createRedis(cluster.url, 'client', logger);
      const onCluster = { queues: createQueues(clusterRedis, env.QUEUE_PREFIX!), redisUrl: cluster.url };
      try {
        for (const workers of sizes.clusterWorkers) {
          const ratios: number[] = [];
          const rates: { single: number; cluster: number }[] = [];
          for (let run = 0; run < options.runs; run++) {
            const one = await pipelineRate(
              workers,
              sizes.clusterLearners,
              single,
              `single-${workers}-${run}`,
            );
            const many = await pipelineRate(
              workers,
              sizes.clusterLearners,
              onCluster,
              `cluster-${workers}-${run}`,
            );
            rates.push({ single: one, cluster: many });
            ratios.push(many / one);
          }
          const mid = rates[ratios.indexOf(median(ratios))]!;
          figures.push(
            atLeast(
              `pipeline on a Redis Cluster, ${sizes.clusterLearners} credentials with ${workers} worker process${workers > 1 ? 'es' : ''} (ratio to the same on one Redis; target >= 0.85)`,
              'credentials/s',
              mid.cluster,
              mid.single,
              0.85,
            ),
          );
          log(
            `cluster x${workers}: ${mid.cluster.toFixed(1)} credentials/s, one Redis ${mid.single.toFixed(1)} (median of ${options.runs})`,
          );
        }
      } finally {
        await onCluster.queues.close();
        clusterRedis.disconnect();
        await cluster.stop();
      }
    }
    if (workerPeaks.length > 0) {
      figures.push(
        atMost('worker peak resident memory (target: <= 400 MB)', 'MB', Math.max(...workerPeaks), null, 400),
      );
    }

    // --- verification: the public endpoint against raw @digitalbazaar/vc ---------------------------------
    if (wanted('verify')) {
      const ids = (
        await Credential.find({}, { _id: 1 })
          .limit(Math.max(1, Math.ceil(sizes.verifications / 2)))
          .lean()
      ).map((c) => String(c._id));
      const docs = (await findCredentials({ ids }, ids.length)).flatMap((c) => [c.ob3, c.elm]);
      if (docs.length === 0) throw new Error('verify needs the credentials the pipeline section issues');
      const loader = installationDocumentLoader(publicUrl);
      const suite = new DataIntegrityProof({ cryptosuite });
      const rawStart = performance.now();
      for (const credential of docs) {
        const r = await vc.verifyCredential({
          credential,
          suite,
          documentLoader: loader,
          // The status step is the verifier's own: the library reads one bit per entry, the entries have two.
          checkStatus: async () => ({ verified: (await checkCredentialStatus(credential, loader)).ok }),
        });
        if (!r.verified) throw new Error('raw verification failed');
      }
      const rawRate = docs.length / ((performance.now() - rawStart) / 1000);
      let next = 0;
      const endpointStart = performance.now();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = next++; i < docs.length; i = next++) {
            const res = await fetch(`${publicUrl}/credentials/verify`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ verifiableCredential: docs[i] }),
            });
            const body = (await res.json()) as { verified?: boolean };
            if (!res.ok || !body.verified)
              throw new Error(`verify endpoint: ${res.status} ${JSON.stringify(body)}`);
          }
        }),
      );
      const endpointRate = docs.length / ((performance.now() - endpointStart) / 1000);
      figures.push(
        atLeast(
          'public verify endpoint (ratio to raw @digitalbazaar/vc verify; target >= 0.8)',
          'credentials/s',
          endpointRate,
          rawRate,
          0.8,
        ),
      );
      log(`verify: endpoint ${endpointRate.toFixed(1)}/s, raw ${rawRate.toFixed(1)}/s`);
    }
    // --- the VC API over HTTP against the engine in this process ------------------------------------------
    // The same Open Badges 3.0 credentials (what a VC API client of this product issues) and the same default
    // issuer on both sides, each side warmed up first: what HTTP, the admin check, the issuer and DID lookups
    // (the shared issuer cache) and the JSON cost on top of signing and verifying themselves.
    if (wanted('vc-api')) {
      const issuer = await signingIssuer((await findDefaultIssuer())!, kek);
      const verification = installationVerification({ PUBLIC_URL: publicUrl, TRUSTED_ISSUERS: [] });
      const template = templateSchema.parse(templateJson);
      const credential = (n: number) =>
        buildOb3Credential({
          template,
          issuer: { did: issuer.did, profile: issuer.profile },
          learner: { fullName: 'Ana Andromeda' },
          credentialId: `vc-api-${n}-${randomUUID()}`,
          publicUrl,
        });
      const count = Math.max(40, sizes.verifications);
      const warm = 20;
      /** Credentials per second of `op` over `count` calls, `concurrency` at a time, after `warm` calls. */
      const rate = async (op: (i: number) => Promise<unknown>, concurrency: number) => {
        for (let i = 0; i < warm; i++) await op(-1 - i);
        let next = 0;
        const start = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let i = next++; i < count; i = next++) await op(i);
          }),
        );
        return count / ((performance.now() - start) / 1000);
      };
      // The client is not what is measured: node's http with keep-alive costs it less of the shared CPU than fetch.
      const agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        new Promise<{ verifiableCredential?: Record<string, unknown>; verified?: boolean }>(
          (resolve, reject) => {
            const payload = JSON.stringify(body);
            const req = httpRequest(
              `${publicUrl}${path}`,
              {
                method: 'POST',
                agent,
                headers: {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                  ...headers,
                },
              },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => {
                  const text = Buffer.concat(chunks).toString('utf8');
                  if ((res.statusCode ?? 500) >= 300)
                    reject(new Error(`VC API ${path}: ${res.statusCode} ${text}`));
                  else
                    resolve(
                      JSON.parse(text) as {
                        verifiableCredential?: Record<string, unknown>;
                        verified?: boolean;
                      },
                    );
                });
              },
            );
            req.on('error', reject);
            req.end(payload);
          },
        );
      /** Enough requests in flight to keep the web process busy: its throughput is what is compared. */
      const inFlight = 8;
      const admin = { authorization: `Bearer ${env.ADMIN_API_TOKEN}` };
      const signed: Record<string, unknown>[] = [];
      const doc = (i: number) => signed[i < 0 ? -1 - i : i]!;
      const ops = {
        engineIssue: async (i: number) => {
          const made = await signCredential(credential(i), issuer.key, verification.documentLoader);
          if (i >= 0) signed[i] = made;
        },
        httpIssue: (i: number) => post('/credentials/issue', { credential: credential(i) }, admin),
        engineVerify: async (i: number) => {
          if (!(await verifyCredential(doc(i), verification)).verified)
            throw new Error('engine verification failed');
        },
        httpVerify: async (i: number) => {
          if (!(await post('/credentials/verify', { verifiableCredential: doc(i) })).verified)
            throw new Error('VC API verification failed');
        },
      };
      // Interleaved runs, medians: drift (JIT, GC, a busy neighbour) hits both sides alike. The engine runs as
      // the product's processes do, with the jsonld patch (the bench leaves it off for its raw baselines).
      const rates: Record<keyof typeof ops, number[]> = {
        engineIssue: [],
        httpIssue: [],
        engineVerify: [],
        httpVerify: [],
      };
      for (let run = 0; run < options.runs; run++) {
        for (const name of Object.keys(ops) as (keyof typeof ops)[]) {
          const engine = name.startsWith('engine');
          setScopedContextReuse(engine);
          rates[name].push(await rate(ops[name], engine ? 1 : inFlight));
        }
      }
      setScopedContextReuse(false);
      const [engineIssueRate, httpIssueRate, engineVerifyRate, httpVerifyRate] = [
        median(rates.engineIssue),
        median(rates.httpIssue),
        median(rates.engineVerify),
        median(rates.httpVerify),
      ];
      figures.push(
        atLeast(
          'VC API issue over HTTP (ratio to the engine signing in one process; target >= 0.8)',
          'credentials/s',
          httpIssueRate,
          engineIssueRate,
          0.8,
        ),
        atLeast(
          'VC API verify over HTTP (ratio to the engine verifying in one process; target >= 0.8)',
          'credentials/s',
          httpVerifyRate,
          engineVerifyRate,
          0.8,
        ),
      );
      agent.destroy();
      log(
        `vc-api: issue ${httpIssueRate.toFixed(1)}/s (engine ${engineIssueRate.toFixed(1)}/s), verify ${httpVerifyRate.toFixed(1)}/s (engine ${engineVerifyRate.toFixed(1)}/s)`,
      );
    }
    figures.push(atMost('web peak resident memory (target: <= 300 MB)', 'MB', web.peakRssMb(), null, 300));

    await queues.close();
    redis.disconnect();
    return figures;
  } finally {
    for (const p of procs) await p.stop().catch(() => undefined);
    await sim.stop();
    await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await disconnectDatabase().catch(() => undefined);
    await services.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
