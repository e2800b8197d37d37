import mongoose from 'mongoose';
import type { Logger } from '../log/logger.js';

/**
 * The one MongoDB connection of a process (web or worker). Models are registered on the default
 * mongoose instance, so the whole codebase shares this connection.
 *
 * Only features that both MongoDB 7 and FerretDB 1.x support are used: no TTL indexes (expiry runs as a
 * periodic job, see src/jobs/maintenance.ts) and no multi-document transactions (every state change is a
 * single-document atomic update).
 */
export async function connectDatabase(uri: string, logger: Logger): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  const conn = mongoose.connection;
  closing = false;
  // A disconnect the process asked for (shutdown, the end of a CLI command) is no news.
  conn.on('disconnected', () => {
    if (!closing) logger.warn({ component: 'mongodb' }, 'mongodb disconnected');
  });
  conn.on('reconnected', () => logger.info({ component: 'mongodb' }, 'mongodb reconnected'));
  await mongoose.connect(uri, {
    serverSelectionTimeoutMS: 5_000,
    autoIndex: false,
  });
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
