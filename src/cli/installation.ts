import { loadConfig } from '../config/env.js';
import { connectDatabase, disconnectDatabase } from '../db/connection.js';
import { createLogger } from '../log/logger.js';
import { installationDocumentLoader } from '../issuers/resolvers.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import '../db/models/index.js';

/** A document loader backed by this installation's database: its did:web issuers and its status lists. */
export async function installationLoader(): Promise<{ loader: DocumentLoader; close: () => Promise<void> }> {
  const config = loadConfig();
  await connectDatabase(config.MONGODB_URI, createLogger('cli', 'silent'));
  return { loader: installationDocumentLoader(config.PUBLIC_URL), close: disconnectDatabase };
}
