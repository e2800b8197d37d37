import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { signCredential } from '../credentials/signer.js';

/** The configuration id of the Open Badge in the issuer metadata: OB 3.0 with a Data Integrity proof. */
export const OPEN_BADGE_CONFIGURATION = 'open-badge';

/**
 * The learner's Open Badge bound to their wallet: the stored credential as issued, its subject's id set to the
 * wallet's DID, signed again by the same issuer key. The id, the achievement and the status entry stay, so a
 * revocation or suspension of the award shows in the wallet's copy too.
 */
export async function walletOpenBadge(
  stored: Record<string, unknown>,
  holderDid: string,
  key: Ed25519KeyPair,
  documentLoader: DocumentLoader,
): Promise<Record<string, unknown>> {
  const { proof: _proof, ...unsigned } = structuredClone(stored);
  const subject = unsigned.credentialSubject as Record<string, unknown>;
  unsigned.credentialSubject = { ...subject, id: holderDid };
  return signCredential(unsigned, key, documentLoader);
}
