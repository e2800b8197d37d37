import { afterEach, describe, expect, it } from '@jest/globals';
import mongoose, { Schema } from 'mongoose';
import {
  connectDatabase,
  disconnectDatabase,
  isDatabaseUnavailable,
  watchDatabase,
} from '../../src/db/connection.js';
import { createLogger } from '../../src/log/logger.js';
import { databaseUri, uniqueName } from '../helpers/env.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/wait.js';

/**
 * The database goes away with the client's connections left half-open (a restart or failover behind a firewall
 * that forgets them), then comes back. The driver waits on its dead connections (operations have no socket
 * timeout; its own server check gives up only after connectTimeoutMS, 30 s), and a worker holding such an
 * operation issues nothing meanwhile. The watch notices that the database stopped answering and opens a new
 * client within its setting of the database being back.
 */
const RECONNECT_AFTER_MS = 1_500;
const Probe = mongoose.model('WatchProbe', new Schema({ n: Number }), 'watch_probes');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let proxy: TcpProxy;
let uri: string;
const lines: string[] = [];
const logger = createLogger('worker', 'info', { write: (line: string) => void lines.push(line) });

/** A fresh proxy in front of the test database, and the process connected through it. */
async function connectThroughProxy(settings: { socketTimeoutMs?: number } = {}) {
  const direct = new URL(databaseUri(uniqueName('watch')));
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
  direct.host = `127.0.0.1:${proxy.port}`;
  uri = direct.toString();
  await connectDatabase(uri, logger, settings);
}
/** What a read came to: 'answered', or the error it failed with. */
const outcomeOf = (read: Promise<unknown>) =>
  read.then(
    () => 'answered',
    (err: unknown) => err,
  );
/** The probe document, or undefined while reads still fail (for until()). */
const readAgain = (id: unknown) =>
  Probe.findById(id)
    .lean()
    .catch(() => undefined);

afterEach(async () => {
  await disconnectDatabase();
  await proxy.close();
});

describe('an operation on a dead connection', () => {
  it('fails after DB_SOCKET_TIMEOUT_MS, and the retry answers over a new connection', async () => {
    await connectThroughProxy({ socketTimeoutMs: 1_000 });
    const { _id } = await Probe.create({ n: 2 });
    proxy.freeze(); // this connection is dead; new ones still get through
    const started = Date.now();
    const outcome = await outcomeOf(Probe.findById(_id).lean());
    expect(isDatabaseUnavailable(outcome)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    const doc = await until(() => readAgain(_id), 'the retry', 20_000);
    expect(doc?.n).toBe(2);
  }, 60_000);
});

describe('database watch', () => {
  it('a client stuck on half-open connections is replaced, and reads answer again', async () => {
    await connectThroughProxy();
    const { _id } = await Probe.create({ n: 1 });
    proxy.freeze();
    proxy.refuse(true);

    // Without the watch the read just waits: nothing in the driver gives up on it in this time.
    const pending = outcomeOf(Probe.findById(_id).lean());
    expect(await Promise.race([pending, sleep(4_000).then(() => 'still waiting')])).toBe('still waiting');

    const stop = watchDatabase(logger, { reconnectAfterMs: RECONNECT_AFTER_MS, pingTimeoutMs: 300 });
    try {
      // The watch gives up on the silent client: the stuck read fails (its caller retries it)...
      const outcome = await pending;
      expect(isDatabaseUnavailable(outcome)).toBe(true);
      expect(lines.join('\n')).toMatch(/mongodb has not answered: opening a new client/);
      proxy.refuse(false); // the database is back; the old connections stay dead
      const back = Date.now();
      // ...and the same read through the new client answers.
      const doc = await until(
        () => readAgain(_id),
        'a read through the new client',
        20_000,
        () => lines.slice(-8).join('\n'),
      );
      expect(doc?.n).toBe(1);
      // Within the setting of the database being back (the next new client, a ping interval, connecting);
      // the driver alone would wait out its server check (connectTimeoutMS, 30 s).
      expect(Date.now() - back).toBeLessThan(RECONNECT_AFTER_MS + 8_000);
    } finally {
      stop();
    }
  }, 60_000);
});
