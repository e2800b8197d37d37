import { cp, mkdir, mkdtemp, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { freePort, run, startDaemon, stopDaemon, waitFor, which } from './process.js';
import type { ServiceHandle } from './types.js';

/** Newest first. v1.24.1 is the intended release; the module proxy does not serve it everywhere. */
const FERRETDB_VERSIONS = ['v1.24.1', 'v1.24.0'];
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

function cacheDir(): string {
  return (
    process.env.CREDBRIDGE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'credbridge')
  );
}

/**
 * Builds FerretDB from the Go module proxy. The module's own go.mod and go.sum pin every dependency;
 * the release tag is written to build/version/version.txt, which the module archive leaves out.
 */
async function buildFerretDB(go: string, log: (line: string) => void): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'credbridge-ferretdb-'));
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  try {
    for (const version of FERRETDB_VERSIONS) {
      const target = join(cacheDir(), 'bin', `ferretdb-${version}`);
      if (existsSync(target)) return target;
      log(`building FerretDB ${version} with ${go} (first run only, about two minutes)`);
      let download: { Dir?: string; Error?: string };
      try {
        download = JSON.parse(
          await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${version}`], {
            env,
            cwd: work,
          }).catch((err: Error) => {
            // Without the checksum database, FerretDB's own go.sum still pins every dependency.
            if (!/sum\.golang\.org|checksum database|verifying module/.test(err.message)) throw err;
            return run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${version}`], {
              env: { ...env, GOSUMDB: 'off' },
              cwd: work,
            });
          }),
        ) as { Dir?: string; Error?: string };
      } catch (err) {
        log(`FerretDB ${version} not available: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      if (!download.Dir) {
        log(`FerretDB ${version} not available: ${download.Error ?? 'no source'}`);
        continue;
      }
      const src = join(work, version);
      await cp(download.Dir, src, { recursive: true });
      await run('chmod', ['-R', 'u+w', src]);
      await writeFile(join(src, 'build', 'version', 'version.txt'), `${version}\n`);
      await mkdir(join(cacheDir(), 'bin'), { recursive: true });
      await run(go, ['build', '-o', `${target}.tmp`, './cmd/ferretdb'], {
        env: { ...env, GOFLAGS: '' },
        cwd: src,
      });
      await chmod(`${target}.tmp`, 0o755);
      await rename(`${target}.tmp`, target);
      return target;
    }
    throw new Error(`no FerretDB release could be built (tried ${FERRETDB_VERSIONS.join(', ')})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** FERRETDB_BIN, then `ferretdb` on PATH, then a cached build, then a fresh build when Go is present. */
export async function findFerretDB(log: (line: string) => void): Promise<string | undefined> {
  if (process.env.FERRETDB_BIN) return process.env.FERRETDB_BIN;
  const onPath = which('ferretdb');
  if (onPath) return onPath;
  const cached = FERRETDB_VERSIONS.map((v) => join(cacheDir(), 'bin', `ferretdb-${v}`)).find((p) =>
    existsSync(p),
  );
  if (cached) return cached;
  const go = which('go', ['/usr/local/go/bin']);
  if (!go) return undefined;
  return buildFerretDB(go, log);
}

async function mongoAnswers(uri: string): Promise<boolean> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1_000 });
  try {
    await conn.asPromise();
    await conn.db!.admin().ping();
    return true;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * FerretDB over SQLite files in `dataDir`, or over a PostgreSQL database when `postgresqlUrl` is given (the
 * benchmark uses that: FerretDB 1.24 on SQLite finds documents by `_id` through its index but updates them
 * with a table scan, which would make every update cost grow with the collection).
 */
export async function startFerretDB(
  binary: string,
  dataDir: string,
  postgresqlUrl?: string,
): Promise<ServiceHandle> {
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/credbridge`;
  const backend = postgresqlUrl
    ? ['--handler=postgresql', `--postgresql-url=${postgresqlUrl}`]
    : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
  const args = [
    ...backend,
    `--state-dir=${dataDir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable',
    '--debug-addr=-',
    '--log-level=warn',
  ];
  const launch = async () => {
    const child = startDaemon(binary, args, join(dataDir, 'ferretdb.log'));
    await waitFor(`FerretDB on port ${port}`, () => mongoAnswers(uri), 30_000);
    return child;
  };
  let child = await launch();
  return {
    name: 'FerretDB',
    url: uri,
    description: `FerretDB (${postgresqlUrl ? 'PostgreSQL' : `SQLite in ${dataDir}`}) on ${uri}`,
    stop: () => stopDaemon(child),
    start: async () => {
      child = await launch();
    },
  };
}

/** Fallback for machines without Go: a real mongod, downloaded once by mongodb-memory-server. */
export async function startMongoMemoryServer(dataDir: string): Promise<ServiceHandle> {
  const { MongoMemoryServer } = await import('mongodb-memory-server-core');
  await mkdir(dataDir, { recursive: true });
  const port = await freePort();
  const server = await MongoMemoryServer.create({
    instance: { port, dbPath: dataDir, storageEngine: 'wiredTiger' },
  });
  const uri = `${server.getUri().replace(/\/$/, '')}/credbridge`;
  return {
    name: 'MongoDB',
    url: uri,
    description: `MongoDB (mongodb-memory-server, data in ${dataDir}) on ${uri}`,
    stop: async () => {
      await server.stop({ doCleanup: false });
    },
    start: async () => {
      await server.start(true);
    },
  };
}
