/**
 * `npm run dev`: local services (kept in .data/dev), then the web and worker processes, each restarted
 * when its code changes. Ctrl-C stops everything this started. Without KEY_ENCRYPTION_KEY in the environment
 * or .env, a development key is made once and kept in .data/dev/key-encryption-key (git-ignored, mode 0600),
 * so LTI and signing work out of the box; production always sets its own. Unless set, the tool may reach an
 * LMS on this machine (OUTBOUND_ALLOW_PRIVATE_HOSTS=localhost,127.0.0.1,[::1]).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { superviseWithServices } from './services/supervise.js';

dotenv.config({ quiet: true });
const dataDir = resolve('.data/dev');
function developmentKey(): string {
  const file = resolve(dataDir, 'key-encryption-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

const env = {
  NODE_ENV: 'development',
  KEY_ENCRYPTION_KEY: process.env.KEY_ENCRYPTION_KEY || developmentKey(),
  // A development LMS usually runs on this machine (a Moodle in Docker on localhost:8080); production allows none.
  OUTBOUND_ALLOW_PRIVATE_HOSTS: process.env.OUTBOUND_ALLOW_PRIVATE_HOSTS ?? 'localhost,127.0.0.1,[::1]',
};
const tsx = resolve('node_modules/.bin/tsx');
const port = process.env.PORT ?? '3000';
console.log(
  `[dev] web on http://localhost:${port} (/healthz, /readyz); worker health on port ${process.env.WORKER_HEALTH_PORT ?? '3001'}`,
);
const code = await superviseWithServices({ dataDir }, [
  { name: 'web', command: tsx, args: ['watch', '--clear-screen=false', 'src/server.ts'], env },
  { name: 'worker', command: tsx, args: ['watch', '--clear-screen=false', 'src/worker.ts'], env },
]);
process.exit(code);
