import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { createLogger } from '../log/logger.js';
import { keyId, parseEncryptionKey, requireEncryptionKey } from '../security/encryption.js';
import { rotateKeyEncryptionKey, secretsByKey, type CollectionReport } from '../security/kek-rotation.js';

const line = (r: CollectionReport, newId: string) =>
  `${r.collection}: ${r.resealed + r.alreadyNew}/${r.secrets} under ${newId} ` +
  `(${r.resealed} re-sealed now, ${r.alreadyNew} already), ${r.failed} failed\n`;

async function withDatabase<T>(run: () => Promise<T>): Promise<T> {
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'warn'));
  try {
    return await run();
  } finally {
    await disconnectDatabase();
  }
}

/**
 * `credbridge keys rotate-kek --new-key-env NAME`: re-seals every stored secret from KEY_ENCRYPTION_KEY to the
 * key in the environment variable NAME (never on the command line, which other users of the host can read).
 * Safe to stop and run again. `credbridge keys status`: how many secrets each key id seals.
 */
export async function keysCommand(
  command: string | undefined,
  options: Map<string, string | true>,
): Promise<number> {
  if (command === 'status') {
    const census = await withDatabase(() => secretsByKey());
    const current = loadConfig().KEY_ENCRYPTION_KEY;
    if (current) process.stdout.write(`KEY_ENCRYPTION_KEY is key ${keyId(parseEncryptionKey(current))}\n`);
    for (const [collection, counts] of Object.entries(census)) {
      const parts = Object.entries(counts).map(
        ([id, n]) => `${n} under ${id === 'v1' ? 'v1 (unnamed)' : id}`,
      );
      process.stdout.write(`${collection}: ${parts.join(', ') || 'none'}\n`);
    }
    return 0;
  }
  const envName = options.get('new-key-env');
  if (typeof envName !== 'string') throw new Error('keys rotate-kek needs --new-key-env NAME');
  const newValue = process.env[envName];
  if (!newValue) throw new Error(`${envName} is not set`);
  const newKey = parseEncryptionKey(newValue);
  const oldKey = requireEncryptionKey(loadConfig());
  const newId = keyId(newKey);
  process.stdout.write(`re-sealing every secret from key ${keyId(oldKey)} to key ${newId}\n`);
  const reports = await withDatabase(() =>
    rotateKeyEncryptionKey({
      oldKey,
      newKey,
      onProgress: (r) => process.stdout.write(line(r, newId)),
    }),
  );
  const problems = reports.flatMap((r) => r.problems);
  for (const p of problems) process.stdout.write(`  problem: ${p}\n`);
  const failed = reports.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(
    failed
      ? `${failed} secret(s) not re-sealed; fix them and run again before retiring key ${keyId(oldKey)}\n`
      : `done: every secret is sealed under ${newId}; set KEY_ENCRYPTION_KEY to the new key\n`,
  );
  return failed ? 1 : 0;
}
