import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { createLogger } from '../log/logger.js';
import { findInstitution } from '../institutions/institutions.js';
import { createAdminUser, removeAdminUser } from '../accounts/accounts.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `credbridge admin create-user USERNAME [--institution ID]`: creates an operator of the installation, or with
 * --institution an administrator of that institution alone; run again, it resets the password. The password
 * comes from CREDBRIDGE_ADMIN_PASSWORD or standard input, never from the command line (which other users of
 * the host can read).
 */
export async function adminCreateUser(username: string | undefined, institutionId?: string): Promise<number> {
  if (!username) throw new Error('admin create-user needs a USERNAME');
  const password = process.env.CREDBRIDGE_ADMIN_PASSWORD || (await readStdin());
  const config = loadConfig();
  const logger = createLogger('cli', 'warn');
  await connectDatabase(config.MONGODB_URI, logger);
  try {
    if (institutionId && !(await findInstitution(institutionId)))
      throw new Error(`--institution: no institution "${institutionId}"`);
    await createAdminUser(username.toLowerCase(), password, institutionId);
  } finally {
    await disconnectDatabase();
  }
  process.stdout.write(
    `${institutionId ? `administrator of ${institutionId}` : 'operator'} ${username.toLowerCase()} saved\n`,
  );
  return 0;
}

/**
 * `credbridge admin remove-user USERNAME [--institution ID]`: removes a console account (an operator, or with
 * --institution an administrator of that institution) and ends its sessions at once.
 */
export async function adminRemoveUser(username: string | undefined, institutionId?: string): Promise<number> {
  if (!username) throw new Error('admin remove-user needs a USERNAME');
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'warn'));
  let removed: boolean;
  try {
    removed = await removeAdminUser(username.toLowerCase(), institutionId);
  } finally {
    await disconnectDatabase();
  }
  if (!removed) {
    process.stderr.write(
      `no ${institutionId ? `administrator of ${institutionId}` : 'operator'} named ${username.toLowerCase()}\n`,
    );
    return 1;
  }
  process.stdout.write(`${username.toLowerCase()} removed; their sessions ended\n`);
  return 0;
}
