import { loadConfig } from '../../config/env.js';
import { connectDatabase, disconnectDatabase } from '../../db/connection.js';
import { createLogger } from '../../log/logger.js';
import { createAdminUser } from './accounts.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `credbridge admin create-user USERNAME`: creates an administrator of the console, or resets the password.
 * The password comes from CREDBRIDGE_ADMIN_PASSWORD or standard input, never from the command line (which
 * other users of the host can read).
 */
export async function adminCreateUser(args: string[]): Promise<number> {
  const [username] = args;
  if (!username) throw new Error('admin create-user needs a USERNAME');
  const password = process.env.CREDBRIDGE_ADMIN_PASSWORD || (await readStdin());
  const config = loadConfig();
  const logger = createLogger('cli', 'warn');
  await connectDatabase(config.MONGODB_URI, logger);
  try {
    await createAdminUser(username.toLowerCase(), password);
  } finally {
    await disconnectDatabase();
  }
  process.stdout.write(`administrator ${username.toLowerCase()} saved\n`);
  return 0;
}
