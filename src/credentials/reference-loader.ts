import { withoutFragment, type DocumentLoader, type RemoteDocument } from './document-loader.js';
import { asList, isObject } from './json-values.js';
import type { RemoteDocuments } from './remote-documents.js';

function idOf(v: unknown): unknown {
  return isObject(v) ? v.id : v;
}

/** The https documents a document points at: its issuer, its proofs' keys and controllers, its status lists. */
function references(doc: Record<string, unknown>): string[] {
  const out: unknown[] = [idOf(doc.issuer), doc.controller];
  for (const proof of asList(doc.proof)) if (isObject(proof)) out.push(proof.verificationMethod);
  for (const status of asList(doc.credentialStatus)) {
    if (!isObject(status)) continue;
    out.push(status.statusListCredential);
    if (typeof status['@value'] === 'string') out.push(status['@value']); // the EDC literal form
  }
  return out
    .filter((u): u is string => typeof u === 'string' && u.startsWith('https://'))
    .map(withoutFragment);
}

/**
 * The loader of one verification: the base loader (contexts, DIDs, this installation's documents), and, over
 * HTTPS, only the documents the credential itself points at (its issuer, its proofs' keys, its status lists)
 * and those they point at in turn (a key's controller, a status list's keys). A context is never fetched: the
 * bundled ones and EXTRA_CONTEXTS are all there is, so what a credential means cannot change under it. A
 * fetched document must say it is the document asked for (`id`), or it is refused (remote-documents.ts).
 */
export function referenceLoader(
  base: DocumentLoader,
  remote: RemoteDocuments | undefined,
  credential: Record<string, unknown>,
): DocumentLoader {
  if (!remote) return base;
  const allowed = new Set(references(credential));
  return async (url: string): Promise<RemoteDocument> => {
    try {
      return await base(url);
    } catch (err) {
      const documentUrl = withoutFragment(url);
      if (!allowed.has(documentUrl)) throw err;
      const doc = await remote(documentUrl, documentUrl);
      for (const next of references(doc)) allowed.add(next);
      if (documentUrl === url) return { contextUrl: null, documentUrl: url, document: doc };
      // A key named by a fragment of its controller's document.
      const method = asList(doc.verificationMethod).find((m) => isObject(m) && m.id === url);
      if (!isObject(method)) throw new Error(`cannot load ${url}: no such verification method`);
      for (const next of references(method)) allowed.add(next);
      return { contextUrl: null, documentUrl: url, document: { '@context': doc['@context'], ...method } };
    }
  };
}
