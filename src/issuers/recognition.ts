import { X509Certificate } from 'node:crypto';
import type { Config } from '../config/env.js';
import type { KnownIssuer, SealRecogniser, VerifyOptions } from '../credentials/verifier.js';
import { isInstitutionSeal } from '../seals/seals.js';
import { cachedIssuerByDid } from './issuer-cache.js';
import { remoteBytes, remoteDocuments } from '../credentials/remote-documents.js';
import { outboundFetch } from '../net/outbound.js';
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
  // `did` is the issuer's id: a DID, or an https URL (only the trusted list can name those).
  const own = did.startsWith('did:web:') ? await cachedIssuerByDid(did) : undefined;
  if (own) return { recognised: 'installation', legalName: own.profile.legalName };
  if (trusted.has(did)) return { recognised: 'trusted-list' };
  return undefined;
}

/**
 * Who vouches for a sealed credential. This installation's issuer only with a seal its institution imported, and
 * not for a seal made (as far as anything trusted proves) after the institution reported that seal compromised,
 * so neither a stranger's certificate nor a stolen key speaks for it. Another issuer only when it is on
 * TRUSTED_ISSUERS and the certificate chains up to a trust anchor: a seal certificate (any legal person's, from any
 * CA of a trusted list) says who sealed, not that the sealer may speak for the issuer the payload names.
 */
export function sealRecogniser(trusted: ReadonlySet<string>): SealRecogniser {
  return async (did, seal) => {
    const own = did.startsWith('did:web:') ? await cachedIssuerByDid(did) : undefined;
    if (own) {
      const record = await isInstitutionSeal(own.institutionId, seal.fingerprint);
      if (!record || (record.compromisedAt && seal.at >= record.compromisedAt)) return undefined;
      return { recognised: 'installation', legalName: own.profile.legalName, test: record.test };
    }
    return seal.trusted && trusted.has(did) ? { recognised: 'trusted-list' } : undefined;
  };
}

export type InstallationVerification = Required<Pick<VerifyOptions, 'documentLoader' | 'recogniseIssuer'>> &
  Pick<VerifyOptions, 'remote' | 'fetchResource' | 'sealTrustAnchors' | 'recogniseSeal'>;

/** Other issuers' documents: fetched through the outbound guard (public addresses only, unless allowed). */
const remote = remoteDocuments({ fetch: (url, init) => outboundFetch(url, init) });
const resources = remoteBytes({ fetch: (url, init) => outboundFetch(url, init) });

/**
 * How this installation verifies: its document loader (its own DIDs and lists from the database, other issuers'
 * over HTTPS), EXTRA_CONTEXTS, and its recognised issuers.
 */
export function installationVerification(
  config: Pick<Config, 'PUBLIC_URL' | 'TRUSTED_ISSUERS'> &
    Partial<Pick<Config, 'EXTRA_CONTEXTS' | 'SEAL_TRUST_ANCHORS'>>,
): InstallationVerification {
  const trusted = new Set(config.TRUSTED_ISSUERS);
  return {
    documentLoader: installationDocumentLoader(config.PUBLIC_URL, {
      remote,
      extraContexts: config.EXTRA_CONTEXTS,
    }),
    recogniseIssuer: (did) => recognisedIssuer(did, trusted),
    sealTrustAnchors: (config.SEAL_TRUST_ANCHORS ?? []).map((pem) => new X509Certificate(pem)),
    recogniseSeal: sealRecogniser(trusted),
    remote,
    fetchResource: resources,
  };
}
