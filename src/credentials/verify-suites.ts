import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as ecdsaRdfc2019 } from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { asList } from './json-values.js';

/**
 * Every proof this installation verifies, its own and other issuers': Data Integrity `eddsa-rdfc-2022` (what it
 * signs with), `ecdsa-rdfc-2019` (P-256 and P-384, used by other OB3 issuers) and `Ed25519Signature2020` (still
 * the default of much of the OB3 ecosystem). The library picks the suite that matches each proof. Stateless,
 * shared.
 */
export const verifySuites = [
  new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
  new DataIntegrityProof({ cryptosuite: ecdsaRdfc2019 }),
  new Ed25519Signature2020(),
];

/** The names of the proofs a document carries, as a verification check reports them. */
export function proofNames(document: Record<string, unknown>): string {
  const proofs = asList(document.proof);
  const names = proofs.map((p) => {
    const proof = (p ?? {}) as { type?: unknown; cryptosuite?: unknown };
    return typeof proof.cryptosuite === 'string' ? proof.cryptosuite : String(proof.type ?? 'unknown');
  });
  return [...new Set(names)].join(', ');
}
