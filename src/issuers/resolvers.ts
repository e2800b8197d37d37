import { createDocumentLoader, type DocumentLoader } from '../credentials/document-loader.js';
import { statusListCredential } from '../credentials/status-lists.js';
import { didWebFor } from './did-web.js';
import { findIssuerByDid, issuerDidDocument } from './issuers.js';

/**
 * The document loader of this installation: bundled contexts, did:key, and — from the database, never the
 * network — its own did:web issuers and its own status list credentials.
 */
export function installationDocumentLoader(publicUrl: string): DocumentLoader {
  const ownDidPrefix = didWebFor(publicUrl);
  const statusPrefix = `${publicUrl.replace(/\/$/, '')}/status-lists/`;
  return createDocumentLoader({
    resolveDid: async (did) => {
      if (did !== ownDidPrefix && !did.startsWith(`${ownDidPrefix}:`)) return undefined;
      const issuer = await findIssuerByDid(did);
      return issuer ? issuerDidDocument(issuer) : undefined;
    },
    resolveStatusList: async (url) => {
      if (!url.startsWith(statusPrefix)) return undefined;
      const id = url.slice(statusPrefix.length);
      return /^[0-9a-f-]{36}$/.test(id) ? statusListCredential(id) : undefined;
    },
  });
}
