import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findFerretDB, startFerretDB, startMongoMemoryServer } from './ferretdb.js';
import { findRedisServer, startRedis } from './redis.js';
import type { ServiceHandle } from './types.js';

export type { ServiceHandle };

export interface LocalServices {
  env: { MONGODB_URI: string; REDIS_URL: string };
  /** The servers this call started (none for a setting that was already given). */
  started: ServiceHandle[];
  mongodb?: ServiceHandle;
  redis?: ServiceHandle;
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  /** Folder for the servers' data and logs. */
  dataDir: string;
  /** Start from empty data (tests); otherwise data is kept between runs (dev, demo). */
  fresh?: boolean;
  /** Ignore MONGODB_URI / REDIS_URL from the environment and always start private servers. */
  isolated?: boolean;
  /** Run FerretDB over this PostgreSQL database instead of SQLite files (see startFerretDB). */
  postgresqlUrl?: string;
  log?: (line: string) => void;
}

/**
 * Uses MONGODB_URI and REDIS_URL when set; otherwise starts FerretDB (or, without Go, a downloaded
 * mongod) and a private redis-server, waits until each answers, and returns how to stop them.
 * Shared by `npm run dev`, the demo and the test suite.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const log = options.log ?? ((line: string) => console.log(`[services] ${line}`));
  if (options.fresh) await rm(options.dataDir, { recursive: true, force: true });
  await mkdir(options.dataDir, { recursive: true });
  const started: ServiceHandle[] = [];
  const stop = async () => {
    for (const service of started.reverse()) {
      await service.stop().catch((err: Error) => log(`could not stop ${service.name}: ${err.message}`));
      log(`stopped ${service.name}`);
    }
    started.length = 0;
  };

  try {
    let mongodb: ServiceHandle | undefined;
    let mongodbUri = options.isolated ? undefined : process.env.MONGODB_URI;
    if (mongodbUri) {
      log('MongoDB: using MONGODB_URI from the environment');
    } else {
      const ferretdb = await findFerretDB(log);
      mongodb = ferretdb
        ? await startFerretDB(ferretdb, join(options.dataDir, 'ferretdb'), options.postgresqlUrl)
        : await startMongoMemoryServer(join(options.dataDir, 'mongodb'));
      started.push(mongodb);
      mongodbUri = mongodb.url;
      log(`started ${mongodb.description}`);
    }

    let redis: ServiceHandle | undefined;
    let redisUrl = options.isolated ? undefined : process.env.REDIS_URL;
    if (redisUrl) {
      log('Redis: using REDIS_URL from the environment');
    } else {
      redis = await startRedis(await findRedisServer(log), join(options.dataDir, 'redis'));
      started.push(redis);
      redisUrl = redis.url;
      log(`started ${redis.description}`);
    }
    return { env: { MONGODB_URI: mongodbUri, REDIS_URL: redisUrl }, started, mongodb, redis, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
