import type { Config } from '../config/env.js';
import type { KnownIssuer, VerifyOptions } from '../credentials/verifier.js';
import { findIssuerByDid } from './issuers.js';
import { installationDocumentLoader } from './resolvers.js';

/**
 * Who vouches for an issuer DID: one of this installation's issuers (the `issuers` collection; the name shown is
 * our record's), whichever institution owns it, else an entry of TRUSTED_ISSUERS, else nobody. The one place
 * trust is decided: extend it here. Only did:web issuers are ours, so a did:key never reads the database (the
 * CLI checks did:key credentials without one).
 */
export async function recognisedIssuer(
  did: string,
  trusted: ReadonlySet<string>,
): Promise<KnownIssuer | undefined> {
  const own = did.startsWith('did:web:') ? await findIssuerByDid(did) : undefined;
  if (own) return { recognised: 'installation', legalName: own.profile.legalName };
  if (trusted.has(did)) return { recognised: 'trusted-list' };
  return undefined;
}

export type InstallationVerification = Required<Pick<VerifyOptions, 'documentLoader' | 'recogniseIssuer'>>;

/** How this installation verifies: its offline document loader and its recognised issuers. */
export function installationVerification(
  config: Pick<Config, 'PUBLIC_URL' | 'TRUSTED_ISSUERS'>,
): InstallationVerification {
  const trusted = new Set(config.TRUSTED_ISSUERS);
  return {
    documentLoader: installationDocumentLoader(config.PUBLIC_URL),
    recogniseIssuer: (did) => recognisedIssuer(did, trusted),
  };
}
