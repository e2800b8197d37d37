import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { createLogger } from '../log/logger.js';
import { configureOutbound } from '../net/outbound.js';
import { installationVerification, type InstallationVerification } from '../issuers/recognition.js';
import '../db/models/index.js';

/**
 * Verification backed by this installation's database: its did:web issuers (keys and names), its status lists,
 * TRUSTED_ISSUERS and EXTRA_CONTEXTS from its settings, and other issuers' documents over HTTPS.
 */
export async function installationVerifier(): Promise<{
  verification: InstallationVerification;
  close: () => Promise<void>;
}> {
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'silent'));
  // Other issuers' did:web documents are fetched as the web processes fetch them.
  configureOutbound({
    allowPrivateHosts: config.OUTBOUND_ALLOW_PRIVATE_HOSTS,
    ...(config.OUTBOUND_CA_FILE ? { extraCa: config.OUTBOUND_CA_FILE } : {}),
  });
  return { verification: installationVerification(config), close: disconnectDatabase };
}
