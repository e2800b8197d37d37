import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import type { DocumentLoader } from './document-loader.js';

/**
 * One Data Integrity suite per signing key, built once: creating the signer is cheap but not free, and issuing
 * in bulk reuses the same key. Keys are held by identity (WeakMap), so a retired key pair is collected with it.
 */
const suites = new WeakMap<Ed25519KeyPair, DataIntegrityProof>();

function suiteFor(key: Ed25519KeyPair): DataIntegrityProof {
  let suite = suites.get(key);
  if (!suite) {
    suite = new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022 });
    suites.set(key, suite);
  }
  return suite;
}

/** Signs a credential with an eddsa-rdfc-2022 Data Integrity proof; the input object is not modified. */
export async function signCredential(
  credential: Record<string, unknown>,
  key: Ed25519KeyPair,
  documentLoader: DocumentLoader,
): Promise<Record<string, unknown>> {
  return vc.issue({ credential: structuredClone(credential), suite: suiteFor(key), documentLoader });
}

/** The verification-side suite: stateless, shared. */
export const verifySuite = new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 });
