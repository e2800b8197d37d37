import mongoose, { type ConnectOptions } from 'mongoose';
import type { Logger } from '../log/logger.js';

/**
 * The one MongoDB connection of a process (web or worker). Models are registered on the default
 * mongoose instance, so the whole codebase shares this connection.
 *
 * Only features that both MongoDB 7 and FerretDB 1.x support are used: no TTL indexes (expiry runs as a
 * periodic job, see src/jobs/maintenance.ts) and no multi-document transactions (every state change is a
 * single-document atomic update).
 */

/** What the process connected with, so the watch can open a new client the same way. */
let opened: { uri: string; options: ConnectOptions } | undefined;

/** Where the dashboards' counts are read: see DB_DASHBOARD_READ_PREFERENCE and dashboardRead(). */
export const DASHBOARD_READ_PREFERENCES = [
  'primary',
  'primaryPreferred',
  'secondary',
  'secondaryPreferred',
  'nearest',
] as const;
export type DashboardReadPreference = (typeof DASHBOARD_READ_PREFERENCES)[number];
let dashboardReadPreference: DashboardReadPreference = 'primary';

/**
 * The read preference of the dashboards' aggregate counts (installation overview, a course's progress): on a
 * replica set they may read a secondary, seconds behind, and leave the primary to requests and credentials.
 * Lists a person acts on (a credential they just revoked) always read the primary.
 */
export function dashboardRead(): DashboardReadPreference {
  return dashboardReadPreference;
}

/**
 * On a replica set, every write waits for a majority (a request or credential acknowledged is not lost to a
 * failover, even where arbiters would lower the server's default to one member), and a write or read interrupted
 * by an election is retried once by the driver. A setting in the URI wins: the defaults fill only what it omits.
 * On one server (and FerretDB) majority is that server.
 */
export function replicaSetDefaults(uri: string): ConnectOptions {
  const given = new URLSearchParams(uri.split('?')[1] ?? '');
  const has = (name: string) => [...given.keys()].some((k) => k.toLowerCase() === name.toLowerCase());
  return {
    ...(has('w') ? {} : { writeConcern: { w: 'majority', wtimeoutMS: 10_000 } }),
    ...(has('retryWrites') ? {} : { retryWrites: true }),
    ...(has('retryReads') ? {} : { retryReads: true }),
  };
}

export async function connectDatabase(
  uri: string,
  logger: Logger,
  settings: { socketTimeoutMs?: number; dashboardReadPreference?: DashboardReadPreference } = {},
): Promise<typeof mongoose> {
  dashboardReadPreference = settings.dashboardReadPreference ?? 'primary';
  mongoose.set('strictQuery', true);
  const conn = mongoose.connection;
  closing = false;
  // A disconnect the process asked for (shutdown, the end of a CLI command) is no news.
  conn.on('disconnected', () => {
    if (!closing) logger.warn({ component: 'mongodb' }, 'mongodb disconnected');
  });
  conn.on('reconnected', () => logger.info({ component: 'mongodb' }, 'mongodb reconnected'));
  const options: ConnectOptions = {
    serverSelectionTimeoutMS: 5_000,
    autoIndex: false,
    // Without a limit, an operation on a connection the network silently dropped waits for ever, and so does
    // the job holding it (DB_SOCKET_TIMEOUT_MS).
    socketTimeoutMS: settings.socketTimeoutMs ?? 120_000,
    ...replicaSetDefaults(uri),
  };
  opened = { uri, options };
  await mongoose.connect(uri, options);
  await ensureIndexes();
  logger.info({ component: 'mongodb', db: conn.name }, 'mongodb connected');
  return mongoose;
}

/** Creates the indexes every model declares; run at start so unique constraints hold before any write. */
export async function ensureIndexes(): Promise<void> {
  for (const model of Object.values(mongoose.models)) {
    await model.createIndexes();
  }
}

let closing = false;

export async function disconnectDatabase(): Promise<void> {
  closing = true;
  await mongoose.disconnect();
}

/**
 * Opens a new client when the database has not answered a ping for `reconnectAfterMs`, and again every
 * `reconnectAfterMs` until one answers. The driver reconnects by itself after an ordinary restart, but a client
 * can stay wedged: after a database restart mid-batch a worker's server check never finished (its pool paused,
 * every operation failing server selection for minutes while other processes were served). Closing the client
 * fails what it holds; callers retry. (An operation stuck on one half-open connection while new ones still answer
 * pings is bounded by DB_SOCKET_TIMEOUT_MS instead.) Returns a function that stops the watch.
 */
export function watchDatabase(
  logger: Logger,
  options: { reconnectAfterMs: number; pingTimeoutMs: number },
): () => void {
  const { reconnectAfterMs, pingTimeoutMs } = options;
  let lastAnswer = Date.now();
  let busy = false;
  const tick = async () => {
    if (busy || closing) return;
    busy = true;
    try {
      await pingDatabase(pingTimeoutMs);
      lastAnswer = Date.now();
    } catch {
      const silentMs = Date.now() - lastAnswer;
      if (silentMs >= reconnectAfterMs)
        await reopen(logger, silentMs).finally(() => (lastAnswer = Date.now()));
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(250, Math.min(5_000, reconnectAfterMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}

async function reopen(logger: Logger, silentMs: number): Promise<void> {
  if (!opened) return;
  logger.warn({ component: 'mongodb', silentMs }, 'mongodb has not answered: opening a new client');
  try {
    await mongoose.connection.close();
    if (closing) return;
    await mongoose.connect(opened.uri, opened.options);
    logger.info({ component: 'mongodb' }, 'mongodb answers a new client');
  } catch (err) {
    logger.warn(
      { component: 'mongodb', err: (err as Error).message },
      'mongodb new client failed; trying again',
    );
  }
}

/** Errors that mean the database could not be reached (not that it refused the operation): worth retrying. */
const UNAVAILABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoPoolClosedError',
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
  'MongoServerClosedError',
  'MongoClientClosedError',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (UNAVAILABLE.has(err.name)) return true;
  // Mongoose queues operations while disconnected and fails them after bufferTimeoutMS.
  return err.name === 'MongooseError' && /buffering timed out/.test(err.message);
}

/** Round trip to the server; rejects when it does not answer within `timeoutMs`. */
export async function pingDatabase(timeoutMs: number): Promise<void> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== mongoose.ConnectionStates.connected) {
    throw new Error('not connected');
  }
  await withTimeout(db.admin().ping(), timeoutMs);
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
