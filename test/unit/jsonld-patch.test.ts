import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import jsonld from 'jsonld';
import contextApi from 'jsonld/lib/context.js';
import jsonldUtil from 'jsonld/lib/util.js';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { generateDidKey } from '../../src/credentials/did-key.js';
import { createDocumentLoader } from '../../src/credentials/document-loader.js';
import type { SignedPair } from '../../src/credentials/issue-pair.js';
import { jsonldPatched, setScopedContextReuse } from '../../src/credentials/jsonld-patch.js';
import { trustedListRecogniser, verifyCredential } from '../../src/credentials/verifier.js';
import { issueExamplePair } from '../helpers/credentials.js';

// The patched jsonld must give exactly the N-Quads of the published one, or signatures would not verify elsewhere.
const loader = createDocumentLoader();
const canonize = (cryptosuite as { canonize(doc: object, o: object): Promise<string> }).canonize;
let key: Ed25519KeyPair;
let pair: SignedPair;

async function nquads(doc: object, reuse: boolean): Promise<string> {
  setScopedContextReuse(reuse);
  try {
    return await canonize(doc, { documentLoader: loader });
  } finally {
    setScopedContextReuse(true);
  }
}

beforeAll(async () => {
  key = await generateDidKey();
  pair = await issueExamplePair(key, loader, {
    credentialId: 'patch-1',
    evidence: { grade: '87%' },
  });
}, 60_000);

afterEach(() => setScopedContextReuse(true));

describe('jsonld with reused type-scoped contexts', () => {
  it('is installed patched and switched on', () => {
    expect(jsonldPatched()).toBe(true);
    expect(contextApi.reuseScopedContexts).toBe(true);
  });

  it('copies far less once its caches are warm (the switch reaches the jsonld in use)', async () => {
    // Every active-context clone deep-copies its term definitions through util.clone: count those copies.
    const original = jsonldUtil.clone;
    let copies = 0;
    jsonldUtil.clone = (value: unknown) => {
      copies++;
      return original(value);
    };
    try {
      const count = async (reuse: boolean) => {
        await nquads(pair.ob3, reuse); // warm
        copies = 0;
        await nquads(pair.ob3, reuse);
        return copies;
      };
      const published = await count(false);
      const patched = await count(true);
      expect(published).toBeGreaterThan(1_000);
      expect(patched).toBeLessThan(published / 10);
    } finally {
      jsonldUtil.clone = original;
    }
  });

  it('gives the same N-Quads as published jsonld for both credentials, signed and unsigned, cold and warm', async () => {
    const docs: Record<string, object> = { ob3: pair.ob3, elm: pair.elm };
    for (const [name, doc] of Object.entries(docs)) {
      const { proof: _proof, ...unsigned } = doc as Record<string, unknown>;
      for (const input of [doc, unsigned]) {
        const published = await nquads(input, false);
        expect(published.split('\n').length).toBeGreaterThan(50);
        expect({ name, quads: await nquads(input, true) }).toEqual({ name, quads: published });
        expect({ name, quads: await nquads(input, true) }).toEqual({ name, quads: published });
      }
    }
  });

  it('keeps the JSON-LD 1.1 rule that a type-scoped context does not reach nested nodes', async () => {
    const doc = {
      '@context': {
        '@version': 1.1,
        name: 'https://schema.org/name',
        knows: 'https://schema.org/knows',
        Person: {
          '@id': 'https://example.org/Person',
          '@context': { name: 'https://example.org/personName' },
        },
      },
      '@id': 'https://example.org/a',
      '@type': 'Person',
      name: 'A',
      knows: {
        '@id': 'https://example.org/b',
        name: 'B',
        knows: { '@id': 'https://example.org/c', '@type': 'Person', name: 'C' },
      },
    };
    for (const reuse of [false, true, true]) {
      setScopedContextReuse(reuse);
      const quads = (await jsonld.toRDF(doc, { format: 'application/n-quads' })) as unknown as string;
      expect(quads).toContain('<https://example.org/a> <https://example.org/personName> "A"');
      expect(quads).toContain('<https://example.org/b> <https://schema.org/name> "B"');
      expect(quads).toContain('<https://example.org/c> <https://example.org/personName> "C"');
    }
  });

  it('signs credentials that the published jsonld verifies', async () => {
    setScopedContextReuse(false);
    for (const doc of [pair.ob3, pair.elm]) {
      const result = await verifyCredential(doc, {
        documentLoader: loader,
        recogniseIssuer: trustedListRecogniser([key.controller!]),
      });
      expect(result.checks.find((c) => c.check === 'proof')).toMatchObject({ ok: true });
      expect(result.verified).toBe(true);
    }
  });
});
