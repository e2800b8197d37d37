import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig, type Config } from '../../src/config/env.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { createQueues, type Queues } from '../../src/queue/queues.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import { createApp } from '../../src/web/app.js';
import { freePort } from '../../scripts/services/process.js';
import type { Logger } from '../../src/log/logger.js';
import { databaseUri, silentLogger, uniqueName } from './env.js';
import { startEntry, waitForStatus, type RunningProcess } from './processes.js';

export const ADMIN_TOKEN = 'admin-'.padEnd(48, 'x');

/** The web app in this process on a real port (so the test reads the same database), workers as processes. */
export interface ToolUnderTest {
  url: string;
  config: Config;
  env: Record<string, string>;
  queues: Queues;
  redis: RedisClient;
  /** Starts a real worker process (src/worker.ts) and waits until its queues run; `healthUrl` is its health port. */
  startWorker(): Promise<RunningProcess & { healthUrl: string }>;
  close(): Promise<void>;
}

/** `options.logger` receives the web app's logs (silent by default), e.g. to scan them for secrets. */
export async function startTool(
  overrides: Record<string, string> = {},
  options: { logger?: Logger } = {},
): Promise<ToolUnderTest> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    // Only when not given: `npm run drills` passes its own private store and has no MONGODB_URI to derive from.
    MONGODB_URI: overrides.MONGODB_URI ?? databaseUri(uniqueName('tool')),
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: uniqueName('q'),
    PUBLIC_URL: url,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    SYNC_DEBOUNCE_MS: '0',
    // The simulators run on this machine; a test of the guard itself narrows this to one host:port.
    OUTBOUND_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
    ...overrides,
  };
  const config = loadConfig(env);
  const logger = options.logger ?? silentLogger();
  await connectDatabase(config.MONGODB_URI, logger);
  const redis = createRedis(config.REDIS_URL, 'client', logger);
  const queues = createQueues(redis, config.QUEUE_PREFIX);
  const server: Server = createApp({ config, logger, redis, queues }).listen(port, '127.0.0.1');
  await once(server, 'listening');
  const workers: RunningProcess[] = [];

  return {
    url,
    config,
    env,
    queues,
    redis,
    async startWorker() {
      const healthPort = await freePort();
      const worker = startEntry('src/worker.ts', { ...env, WORKER_HEALTH_PORT: String(healthPort) });
      workers.push(worker);
      await waitForStatus(`http://127.0.0.1:${healthPort}/readyz`, 200, 60_000);
      return Object.assign(worker, { healthUrl: `http://127.0.0.1:${healthPort}` });
    },
    async close() {
      for (const w of workers) w.child.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queues.close();
      redis.disconnect();
      await disconnectDatabase();
    },
  };
}
