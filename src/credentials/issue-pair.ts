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
  elm: Record<string, unknown>;
}

/**
 * Builds and signs both documents of one award (Open Badges 3.0 and ELM) from the same template, learner and
 * evidence. Pure: persistence and status-list allocation are the caller's (see credential-store.ts).
 */
export async function issueCredentialPair(
  input: AwardInput & { key: Ed25519KeyPair; documentLoader: DocumentLoader },
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
    signCredential(buildElmCredential(award), input.key, input.documentLoader),
  ]);
  return { ob3, elm };
}
