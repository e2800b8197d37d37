/**
 * Runs one command with freshly started local services:
 *   tsx scripts/with-services.ts [--data DIR] [--keep] -- COMMAND [ARGS...]
 * The test suite runs through this (see scripts/test.sh). Data is wiped first unless --keep is given.
 */
import { resolve } from 'node:path';
import { superviseWithServices } from './services/supervise.js';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split === -1 ? [] : argv.slice(0, split);
const [command, ...args] = split === -1 ? argv : argv.slice(split + 1);
if (!command) {
  console.error('usage: tsx scripts/with-services.ts [--data DIR] [--keep] -- COMMAND [ARGS...]');
  process.exit(2);
}
const dataIndex = own.indexOf('--data');
const dataDir = resolve(dataIndex >= 0 ? (own[dataIndex + 1] ?? '.data/test') : '.data/test');

const code = await superviseWithServices({ dataDir, fresh: !own.includes('--keep'), isolated: true }, [
  { name: command, command, args },
]);
process.exit(code);
