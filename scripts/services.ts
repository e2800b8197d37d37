/**
 * `npm run services`: starts the local MongoDB-compatible server and Redis, prints the settings to use,
 * and keeps them running until Ctrl-C.
 */
import { resolve } from 'node:path';
import { startLocalServices } from './services/index.js';

const services = await startLocalServices({ dataDir: resolve('.data/dev') });
console.log(`MONGODB_URI=${services.env.MONGODB_URI}`);
console.log(`REDIS_URL=${services.env.REDIS_URL}`);
console.log('Press Ctrl-C to stop.');
const stop = () => void services.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
setInterval(() => undefined, 1 << 30);
