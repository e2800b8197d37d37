/**
 * `npm run dev`: local services (kept in .data/dev), then the web and worker processes, each restarted
 * when its code changes. Ctrl-C stops everything this started.
 */
import { resolve } from 'node:path';
import { superviseWithServices } from './services/supervise.js';

const env = { NODE_ENV: 'development' };
const tsx = resolve('node_modules/.bin/tsx');
const port = process.env.PORT ?? '3000';
console.log(
  `[dev] web on http://localhost:${port} (/healthz, /readyz); worker health on port ${process.env.WORKER_HEALTH_PORT ?? '3001'}`,
);
const code = await superviseWithServices({ dataDir: resolve('.data/dev') }, [
  { name: 'web', command: tsx, args: ['watch', '--clear-screen=false', 'src/server.ts'], env },
  { name: 'worker', command: tsx, args: ['watch', '--clear-screen=false', 'src/worker.ts'], env },
]);
process.exit(code);
