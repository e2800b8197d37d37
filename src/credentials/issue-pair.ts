import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import { missingElements } from '../templates/elements.js';
import { learnerSchema, type AwardInput } from './award.js';
import type { DocumentLoader } from './document-loader.js';
import { buildElmCredential } from './elm.js';
import { buildOb3Credential } from './ob3.js';
import { signCredential } from './signer.js';

export class AwardRefusedError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot issue: ${problems.join('; ')}`);
    this.name = 'AwardRefusedError';
  }
}

export interface SignedPair {
  ob3: Record<string, unknown>;
  /** The ELM credential with its Data Integrity proof, or, sealed, the JAdES document that carries it. */
  elm: Record<string, unknown>;
}

/**
 * Seals the ELM credential (JAdES, src/seals/) in place of its Data Integrity proof: given by the caller when the
 * institution has a seal, so this module stays free of certificates and time-stamping authorities.
 */
export interface ElmSealer {
  seal(credential: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Who seals, kept beside the credential for the pages, the PDF and the e-mail. */
  by: SealedBy;
}

export interface SealedBy {
  /** The organisation named in the seal certificate. */
  holder: string;
  /** The certificate's x5t#S256. */
  fingerprint: string;
  /** A test seal (`credbridge seal test`): every screen says it is not qualified. */
  test: boolean;
}

/**
 * Builds and signs both documents of one award (Open Badges 3.0 and ELM) from the same template, learner and
 * evidence. Pure: persistence and status-list allocation are the caller's (see credential-store.ts).
 */
export async function issueCredentialPair(
  input: AwardInput & { key: Ed25519KeyPair; documentLoader: DocumentLoader; sealElm?: ElmSealer },
): Promise<SignedPair> {
  const problems = missingElements(input.template).map((m) => m.message);
  const learner = learnerSchema.safeParse(input.learner);
  if (!learner.success) {
    problems.push(...learner.error.issues.map((i) => `learner.${i.path.join('.')}: ${i.message}`));
  }
  if (problems.length) throw new AwardRefusedError(problems);
  const award = { ...input, issuedAt: input.issuedAt ?? new Date() };
  const [ob3, elm] = await Promise.all([
    signCredential(buildOb3Credential(award), input.key, input.documentLoader),
    input.sealElm
      ? input.sealElm.seal(buildElmCredential(award))
      : signCredential(buildElmCredential(award), input.key, input.documentLoader),
  ]);
  return { ob3, elm };
}
