import { createDocumentLoader, type DocumentLoader } from '../credentials/document-loader.js';
import { statusListCredential } from '../credentials/status-lists.js';
import { didWebFor, didWebUrl } from './did-web.js';
import type { DidDocument } from '../credentials/document-loader.js';
import type { RemoteDocuments } from '../credentials/remote-documents.js';
import { cachedIssuerByDid } from './issuer-cache.js';
import { issuerDidDocument } from './issuers.js';

export interface LoaderSettings {
  /** Other issuers' did:web documents, fetched over HTTPS; without it, only this installation's resolve. */
  remote?: RemoteDocuments;
  extraContexts?: ReadonlyMap<string, object>;
}

/**
 * The document loader of this installation: bundled (and EXTRA_CONTEXTS) contexts, did:key, its own did:web
 * issuers and status list credentials from the database (never the network, so its own keys cannot be
 * spoofed by DNS), and other issuers' did:web documents over HTTPS when `remote` is given.
 */
export function installationDocumentLoader(publicUrl: string, settings: LoaderSettings = {}): DocumentLoader {
  const ownDidPrefix = didWebFor(publicUrl);
  const statusPrefix = `${publicUrl.replace(/\/$/, '')}/status-lists/`;
  const { remote, extraContexts } = settings;
  return createDocumentLoader({
    extraContexts,
    resolveDid: async (did) => {
      if (did === ownDidPrefix || did.startsWith(`${ownDidPrefix}:`)) {
        const issuer = await cachedIssuerByDid(did);
        return issuer ? issuerDidDocument(issuer) : undefined;
      }
      return remote ? remoteDidWeb(did, remote) : undefined;
    },
    resolveStatusList: async (url) => {
      if (!url.startsWith(statusPrefix)) return undefined;
      const id = url.slice(statusPrefix.length);
      return /^[0-9a-f-]{36}$/.test(id) ? statusListCredential(id) : undefined;
    },
  });
}

/** Another issuer's did:web document, from https://<host>/... as did:web says; it must name itself. */
async function remoteDidWeb(did: string, remote: RemoteDocuments): Promise<DidDocument | undefined> {
  if (!/^did:web:[^:]+/.test(did)) return undefined;
  const doc = await remote(didWebUrl(did, 'https://resolver'), did);
  if (!Array.isArray(doc.verificationMethod)) throw new Error(`the did:web document of ${did} has no keys`);
  return doc as unknown as DidDocument;
}
