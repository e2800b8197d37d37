import { bundledContexts } from './contexts.js';
import { didKeyDocument } from './did-key.js';

export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: object;
  /** 'static': jsonld keeps the processed context across operations (bundled contexts never change). */
  tag?: 'static';
}
export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/** Looks up a DID document this installation can answer for (its own did:web issuers); undefined when unknown. */
export type DidResolver = (did: string) => Promise<DidDocument | undefined>;
/** Returns the signed status list credential published at `url`, or undefined. */
export type StatusListResolver = (url: string) => Promise<object | undefined>;

export interface DidDocument {
  '@context': string[];
  id: string;
  verificationMethod: { id: string; type: string; controller: string; publicKeyMultibase: string }[];
  assertionMethod: string[];
  [key: string]: unknown;
}

export class DocumentNotFoundError extends Error {
  readonly code = 'document_not_found';
  constructor(url: string, why: string) {
    super(`cannot load ${url}: ${why}`);
    this.name = 'DocumentNotFoundError';
  }
}

export interface LoaderOptions {
  resolveDid?: DidResolver;
  resolveStatusList?: StatusListResolver;
  /** EXTRA_CONTEXTS: contexts the operator accepts besides the bundled ones, by URL. */
  extraContexts?: ReadonlyMap<string, object>;
}

/**
 * A JSON-LD document loader: bundled contexts and the operator's extra ones, did:key (computed), and did:web
 * documents and status lists through the resolvers given. Contexts are never fetched, so a credential naming an
 * unknown context is refused; other issuers' documents are the resolvers' business (src/issuers/resolvers.ts).
 */
export function createDocumentLoader({
  resolveDid,
  resolveStatusList,
  extraContexts,
}: LoaderOptions = {}): DocumentLoader {
  return async (url: string) => {
    const context = bundledContexts.get(url) ?? extraContexts?.get(url);
    if (context) return { ...wrap(url, context), tag: 'static' };

    if (url.startsWith('did:')) {
      const [did, fragment] = splitFragment(url);
      let doc: DidDocument | undefined;
      if (did.startsWith('did:key:')) doc = await didKeyDocument(did);
      else if (did.startsWith('did:web:') && resolveDid) doc = await resolveDid(did);
      if (!doc)
        throw new DocumentNotFoundError(url, 'unknown DID (did:key, and did:web where it can be resolved)');
      if (!fragment) return wrap(url, doc);
      const method = doc.verificationMethod.find((vm) => vm.id === url || vm.id === `#${fragment}`);
      if (!method) throw new DocumentNotFoundError(url, 'no such verification method');
      return wrap(url, { '@context': doc['@context'], ...method });
    }

    if (resolveStatusList && /^https?:\/\//.test(url)) {
      const list = await resolveStatusList(url);
      if (list) return wrap(url, list);
    }
    throw new DocumentNotFoundError(
      url,
      'not a context this installation accepts (bundled, or EXTRA_CONTEXTS), nor a document it can resolve',
    );
  };
}

function wrap(url: string, document: object): RemoteDocument {
  return { contextUrl: null, documentUrl: url, document };
}

/** A URL without its fragment: the document a DID URL or key id names. */
export function withoutFragment(url: string): string {
  return splitFragment(url)[0];
}

function splitFragment(url: string): [string, string | undefined] {
  const at = url.indexOf('#');
  return at === -1 ? [url, undefined] : [url.slice(0, at), url.slice(at + 1)];
}
