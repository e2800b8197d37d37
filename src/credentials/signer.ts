import { createPrivateKey, sign } from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import type { DocumentLoader } from './document-loader.js';

/**
 * One Data Integrity suite per signing key, built once, and kept by identity (WeakMap) so a retired key pair is
 * collected with it. Its signer holds node's private KeyObject: the library's own signer parses the key again
 * for every signature, which was about 8% of a worker's CPU.
 */
const suites = new WeakMap<Ed25519KeyPair, Promise<DataIntegrityProof>>();

function suiteFor(key: Ed25519KeyPair): Promise<DataIntegrityProof> {
  let suite = suites.get(key);
  if (!suite) {
    suite = Ed25519Multikey.toJwk({ keyPair: key, secretKey: true }).then((jwk) => {
      if (!jwk.d) throw new Error(`key ${key.id ?? ''} has no secret part to sign with`);
      // The library's `d` holds the seed and the public key (64 bytes); a JWK's is the 32-byte seed (RFC 8037).
      const d = Buffer.from(jwk.d, 'base64url').subarray(0, 32).toString('base64url');
      const privateKey = createPrivateKey({ key: { ...jwk, d }, format: 'jwk' });
      const signer = {
        id: key.id,
        algorithm: 'Ed25519',
        sign: async ({ data }: { data: Uint8Array }) => sign(null, data, privateKey),
      };
      return new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 });
    });
    suites.set(key, suite);
  }
  return suite;
}

/**
 * Signs a credential with an eddsa-rdfc-2022 Data Integrity proof. The input is not modified: signing only
 * adds top-level members (`proof`), so a shallow copy protects it.
 */
export async function signCredential(
  credential: Record<string, unknown>,
  key: Ed25519KeyPair,
  documentLoader: DocumentLoader,
): Promise<Record<string, unknown>> {
  return vc.issue({ credential: { ...credential }, suite: await suiteFor(key), documentLoader });
}
