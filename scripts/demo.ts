/**
 * `npm run demo [-- --reset] [--port N] [--data DIR]`: the whole product on one machine. Starts local
 * storage (FerretDB or mongod, and Redis), the web process, one worker and an LTI 1.3 platform simulator
 * (behaving like Moodle 4.5), seeds a demo institution, the example template, a course with an instructor
 * and 20 graded learners, registers and activates the tool, enables the template with a rule, prints what to
 * open and "ready"; the worker then issues credentials to the learners who pass. Ctrl-C stops everything.
 *
 * Data (and the demo's own KEY_ENCRYPTION_KEY) stay in .data/demo and are reused by the next run; --reset
 * starts from empty. The web process listens on --port (default 3100), the simulator on the port after it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEncryptionKey } from '../src/security/encryption.js';
import { PlatformSimulator, type PlatformState } from '../test/simulator/platform.js';
import { DEMO_ADMIN, DEMO_COURSE, DEMO_INSTRUCTOR, DEMO_LEARNERS, passes } from './demo/data.js';
import {
  courseApi,
  enableTemplate,
  launchAsInstructor,
  registerTool,
  registrationLink,
  seedCourse,
  seedInstitution,
} from './demo/seed.js';
import { startLocalServices, type LocalServices } from './services/index.js';
import { freePort, portAnswers } from './services/process.js';

const USAGE = `usage: npm run demo -- [--reset] [--port N] [--data DIR]
  --reset     wipe the demo's data folder first (institution, keys, course, credentials)
  --port N    port of the web process (default 3100, or the port of the reused data); the simulator uses N+1
  --data DIR  data folder (default .data/demo)`;

/** Kept in the data folder (mode 0600, never committed) so a second run finds the same keys and platform. */
interface DemoState {
  keyEncryptionKey: string;
  adminApiToken: string;
  /** Password of the console administrator DEMO_ADMIN (kept from older data folders' absence: made when missing). */
  adminPassword?: string;
  port: number;
  platform?: PlatformState;
}

const log = (line: string) => console.log(`[demo] ${line}`);
// A closed terminal or pipe must not turn the shutdown messages into a crash that leaves servers running.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function parseArgs(argv: string[]): { reset: boolean; port?: number; dataDir: string } {
  let reset = false;
  let port: number | undefined;
  let dataDir = '.data/demo';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--reset') reset = true;
    else if (arg === '--port' && /^\d+$/.test(argv[i + 1] ?? '')) port = Number(argv[++i]);
    else if (arg === '--data' && argv[i + 1]) dataDir = argv[++i]!;
    else {
      console.error(`${arg === '--help' ? '' : `unknown or incomplete argument: ${arg}\n`}${USAGE}`);
      process.exit(arg === '--help' ? 0 : 2);
    }
  }
  if (port !== undefined && (port < 1 || port > 65534)) {
    console.error(`--port must be between 1 and 65534\n${USAGE}`);
    process.exit(2);
  }
  return { reset, port, dataDir: resolve(dataDir) };
}

async function loadState(file: string, port: number | undefined): Promise<DemoState> {
  if (existsSync(file)) {
    const state = JSON.parse(await readFile(file, 'utf8')) as DemoState;
    // Credential ids and the issuer's did:web contain the tool's URL, so the port cannot change under them.
    if (port !== undefined && port !== state.port) {
      console.error(
        `[demo] the data in ${dirname(file)} was set up for port ${state.port}; ` +
          `run again without --port, or with --reset to start over on port ${port}`,
      );
      process.exit(2);
    }
    return state;
  }
  return {
    keyEncryptionKey: randomBytes(32).toString('base64'),
    adminApiToken: randomBytes(24).toString('base64url'),
    port: port ?? 3100,
  };
}

async function saveState(file: string, state: DemoState): Promise<void> {
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

interface Child {
  name: string;
  child: ChildProcess;
  logFile: string;
}

/** An entry point as its own process group, so Ctrl-C reaches the demo first and it stops things in order. */
function startEntry(name: string, entry: string, env: NodeJS.ProcessEnv, logFile: string): Child {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return { name, child, logFile };
}

async function waitReady(url: string, what: string, child: Child, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null)
      throw new Error(`${what} exited (${child.child.exitCode}); see ${relative('.', child.logFile)}`);
    const ok = await fetch(url)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; see ${relative('.', child.logFile)}`);
}

function stopChild({ child }: Child, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<number> {
  // Paths in messages and the entry points are relative to the repository, wherever the demo is run from.
  process.chdir(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
  const options = parseArgs(process.argv.slice(2));
  if (options.reset) {
    await rm(options.dataDir, { recursive: true, force: true });
    log(`wiped ${relative('.', options.dataDir)}`);
  }
  await mkdir(options.dataDir, { recursive: true });
  const stateFile = join(options.dataDir, 'demo.json');
  const reused = existsSync(stateFile);
  const state = await loadState(stateFile, options.port);
  state.adminPassword ??= randomBytes(12).toString('base64url');
  await saveState(stateFile, state);
  const toolUrl = `http://127.0.0.1:${state.port}`;
  const platformPort = state.port + 1;
  for (const port of [state.port, platformPort]) {
    if (await portAnswers(port)) {
      console.error(`[demo] port ${port} is in use; choose others with --port (and --reset if data exists)`);
      return 2;
    }
  }
  log(reused ? `reusing ${relative('.', options.dataDir)} (--reset starts over)` : 'first run: seeding');

  let services: LocalServices | undefined;
  const children: Child[] = [];
  let sim: PlatformSimulator | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await sim?.stop();
      await Promise.all(children.map((c) => stopChild(c)));
      await services?.stop();
    })());
  const exitOn = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping everything the demo started`);
    void stopAll().then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', exitOn);
  process.on('SIGTERM', exitOn);

  try {
    services = await startLocalServices({
      dataDir: options.dataDir,
      log: (line) => console.log(`[services] ${line}`),
    });
    const { templateKey } = await seedInstitution({
      mongodbUri: services.env.MONGODB_URI,
      publicUrl: toolUrl,
      kek: parseEncryptionKey(state.keyEncryptionKey),
      adminPassword: state.adminPassword,
      log,
    });

    const workerHealthPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...services.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(state.port),
      PUBLIC_URL: toolUrl,
      KEY_ENCRYPTION_KEY: state.keyEncryptionKey,
      ADMIN_API_TOKEN: state.adminApiToken,
      // The simulator and the tool share the site 127.0.0.1 over plain HTTP (see docs/lti.md).
      LTI_INSECURE_COOKIES: 'true',
      // The simulator is the one LMS, on this machine: the tool may reach it and nothing else private.
      OUTBOUND_ALLOW_PRIVATE_HOSTS: `127.0.0.1:${platformPort}`,
      QUEUE_PREFIX: 'credbridge-demo',
      WORKER_HEALTH_PORT: String(workerHealthPort),
      // Quick reactions for a demo: launches sync within a second, lost work is picked up in seconds.
      SYNC_DEBOUNCE_MS: '1000',
      RECONCILE_INTERVAL_MS: '5000',
      ISSUE_BACKOFF_MS: '1000',
    };
    const web = startEntry('web', 'src/server.ts', env, join(options.dataDir, 'web.log'));
    const worker = startEntry('worker', 'src/worker.ts', env, join(options.dataDir, 'worker.log'));
    children.push(web, worker);
    for (const c of children) {
      c.child.once('exit', (code, signal) => {
        if (stopping) return;
        console.error(`[demo] ${c.name} exited (${code ?? signal}); see ${relative('.', c.logFile)}`);
        void stopAll().then(() => process.exit(1));
      });
    }
    await waitReady(`${toolUrl}/readyz`, 'the web process', web);
    await waitReady(`http://127.0.0.1:${workerHealthPort}/readyz`, 'the worker', worker);
    log(`web on ${toolUrl}, worker health on http://127.0.0.1:${workerHealthPort}/readyz`);

    const passing = DEMO_LEARNERS.filter(passes);
    const first = passing[0]!;
    const short = DEMO_LEARNERS.find((l) => !passes(l))!;
    const guide = [
      `The instructor: “Launch as ${DEMO_INSTRUCTOR.name}” below opens the course's dashboard, with the credential, its rule, the charts and the issuance list.`,
      `A learner who passes: “Launch as ${first.name}” shows the credential to download, share or add to a wallet.`,
      `A learner who does not pass yet: “Launch as ${short.name}” shows what is still missing.`,
      `The console, ${toolUrl}/admin: sign in as ${DEMO_ADMIN} with the password the demo printed, to edit the template and the institution.`,
    ];
    sim = await new PlatformSimulator().start({ port: platformPort, state: state.platform, guide });
    let clientId = [...sim.tools.values()].find((t) => t.status === 'active')?.clientId;
    if (!clientId) {
      clientId = await registerTool(sim, await registrationLink(services.env.MONGODB_URI, toolUrl));
      log(
        `registered the tool through a registration link and LTI dynamic registration, and activated it (client id ${clientId})`,
      );
      state.platform = await sim.exportState();
      await saveState(stateFile, state);
    }
    const items = seedCourse(sim, clientId);
    const instructor = await launchAsInstructor(sim, toolUrl).catch((err: Error) => {
      throw new Error(`${err.message}\n  the data folder may be from another setup: try --reset`);
    });
    const { bindingId, created } = await enableTemplate(instructor, templateKey, items);
    if (created) log('enabled the template in the course with its rule (quiz >= 50%, project >= 60%)');

    console.log(`
  Credbridge demo
  ---------------
  LMS (platform simulator):  ${sim.url}/
  Credbridge (the tool):     ${toolUrl}   (health: ${toolUrl}/readyz)
  MongoDB-compatible store:  ${services.env.MONGODB_URI}
  Redis:                     ${services.env.REDIS_URL}
  Logs:                      ${relative('.', web.logFile)}, ${relative('.', worker.logFile)}
  Console:                   ${toolUrl}/admin
    user:                    ${DEMO_ADMIN}
    password:                ${state.adminPassword}   (kept in ${relative('.', stateFile)})
  Admin API token:           in ${relative('.', stateFile)} (adminApiToken)

  Start at ${sim.url}/ : the course "${DEMO_COURSE.title}" with ${DEMO_LEARNERS.length} learners and their grades,
  and "Start here", which says where to click:
${guide.map((step, i) => `  ${i + 1}. ${step}`).join('\n')}
  Each credential has a public verification page, ${toolUrl}/credentials/<id>, linked from the learner's page
  and the instructor's issuance list.

  The rule: at least 50% in the quiz and 60% in the project; ${passing.length} of ${DEMO_LEARNERS.length} learners meet it.
  Ctrl-C stops everything the demo started.
`);
    log('ready');
    void reportIssuance(instructor, bindingId, passing.length);
    return await new Promise<number>(() => undefined);
  } catch (err) {
    console.error(`[demo] failed: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }
}

/** Prints once the worker has issued a credential to every learner who passes (or what is still open). */
async function reportIssuance(
  instructor: Awaited<ReturnType<typeof launchAsInstructor>>,
  bindingId: string,
  expected: number,
): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const res = await courseApi(instructor, `/bindings/${bindingId}/progress`).catch(() => undefined);
    const progress = res?.body.progress as Record<string, number> | undefined;
    if (progress && progress.issued! >= expected && progress.queued === 0 && progress.signing === 0) {
      log(`${progress.issued} credentials issued (${expected} learners pass the rule)`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  log('issuance is still running; see the worker log');
}

// Explicit exit: a failed start may leave idle sockets or streams that would keep the process alive.
process.exit(await main());
