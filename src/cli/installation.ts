import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { createLogger } from '../log/logger.js';
import { installationVerification, type InstallationVerification } from '../issuers/recognition.js';
import '../db/models/index.js';

/**
 * Verification backed by this installation's database: its did:web issuers (keys and names), its status lists,
 * and TRUSTED_ISSUERS from its settings.
 */
export async function installationVerifier(): Promise<{
  verification: InstallationVerification;
  close: () => Promise<void>;
}> {
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'silent'));
  return { verification: installationVerification(config), close: disconnectDatabase };
}
