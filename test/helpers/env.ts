import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger, type Logger } from '../../src/log/logger.js';

/** A short random suffix, so each test file gets its own database and queue prefix on the shared servers. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The MongoDB URI of the test servers with the database name replaced. */
export function databaseUri(database: string, base = process.env.MONGODB_URI): string {
  if (!base)
    throw new Error('MONGODB_URI is not set: run the tests with `npm test`, which starts the services');
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: run the tests with `npm test`');
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MONGODB_URI: databaseUri(uniqueName('test')),
    REDIS_URL: process.env.REDIS_URL,
    QUEUE_PREFIX: uniqueName('q'),
    // The simulators run on this machine (src/net/outbound.ts refuses loopback otherwise).
    OUTBOUND_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
    ...overrides,
  });
}

export function silentLogger(): Logger {
  return createLogger('test', 'silent');
}
