import { OB3_CONTEXT, VC_V2_CONTEXT } from '../credentials/contexts.js';
import type { Multilingual, Organisation } from '../templates/schema.js';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { EU_MICROCREDENTIAL_CONFIGURATION, genericVct, SD_JWT_VC_TYPE } from './eu-microcredential.js';
import { OPEN_BADGE_CONFIGURATION } from './open-badge-offer.js';
import { PROOF_ALGORITHMS } from './key-proof.js';
import { PRE_AUTHORIZED_GRANT } from './offers.js';
import { AUTHORIZATION_CODE_GRANT, CONFIGURATION_SCOPES } from './authorization.js';

/** Where an issuer answers as an OpenID4VCI credential issuer: one per awarding body of the installation. */
export function credentialIssuerId(publicUrl: string, issuerId: string): string {
  return `${publicUrl}/wallet/issuers/${issuerId}`;
}

/** The well-known URL of a credential issuer's metadata (the path after the host, RFC 8615 style). */
export function credentialIssuerMetadataPath(issuerId: string): string {
  return `/.well-known/openid-credential-issuer/wallet/issuers/${issuerId}`;
}

const display = (name: Multilingual) =>
  Object.entries(name).map(([locale, text]) => ({ name: text, locale }));

/**
 * Credential Issuer Metadata (OpenID4VCI 1.0, 12.2): the endpoints, the installation as its authorization
 * server, the awarding body's name in each language it has, and what may be asked for (by configuration id, or
 * by the same word as scope): the EU micro-credential as an SD-JWT VC bound to the wallet's key, and the Open
 * Badge (OB 3.0, Data Integrity eddsa-rdfc-2022) bound to a did:jwk of that key.
 */
export function credentialIssuerMetadata(
  publicUrl: string,
  issuerId: string,
  profile: Organisation,
  /** How its SD-JWT VCs are signed now: EdDSA by its key, or by the institution's seal. */
  sdJwtAlgorithm = 'EdDSA',
) {
  const issuer = credentialIssuerId(publicUrl, issuerId);
  return {
    credential_issuer: issuer,
    authorization_servers: [publicUrl],
    credential_endpoint: `${issuer}/credential`,
    nonce_endpoint: `${publicUrl}/wallet/nonce`,
    display: display(profile.legalName),
    credential_configurations_supported: {
      [EU_MICROCREDENTIAL_CONFIGURATION]: {
        format: SD_JWT_VC_TYPE,
        scope: EU_MICROCREDENTIAL_CONFIGURATION,
        vct: genericVct(publicUrl),
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: [sdJwtAlgorithm],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: PROOF_ALGORITHMS } },
        credential_metadata: {
          display: display(profile.legalName).map((d) => ({ ...d, name: `EU micro-credential · ${d.name}` })),
        },
      },
      [OPEN_BADGE_CONFIGURATION]: {
        format: 'ldp_vc',
        scope: OPEN_BADGE_CONFIGURATION,
        credential_definition: {
          '@context': [VC_V2_CONTEXT, OB3_CONTEXT],
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
        },
        cryptographic_binding_methods_supported: ['did:jwk'],
        credential_signing_alg_values_supported: ['eddsa-rdfc-2022'],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: PROOF_ALGORITHMS } },
        credential_metadata: {
          display: display(profile.legalName).map((d) => ({ ...d, name: `Open Badge · ${d.name}` })),
        },
      },
    },
  };
}

export const WALLET_PAR_PATH = '/wallet/par';
export const WALLET_AUTHORIZE_PATH = '/wallet/authorize';

/**
 * Authorization Server Metadata (RFC 8414) of the installation: the token endpoint of both flows, and for the
 * authorization code flow its pushed-request and authorization endpoints, public clients with PKCE S256 only.
 */
export function authorizationServerMetadata(publicUrl: string) {
  return {
    issuer: publicUrl,
    token_endpoint: `${publicUrl}/wallet/token`,
    pushed_authorization_request_endpoint: `${publicUrl}${WALLET_PAR_PATH}`,
    require_pushed_authorization_requests: true,
    authorization_endpoint: `${publicUrl}${WALLET_AUTHORIZE_PATH}`,
    response_types_supported: ['code'],
    grant_types_supported: [AUTHORIZATION_CODE_GRANT, PRE_AUTHORIZED_GRANT],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    authorization_response_iss_parameter_supported: true,
    authorization_details_types_supported: ['openid_credential'],
    scopes_supported: CONFIGURATION_SCOPES,
    'pre-authorized_grant_anonymous_access_supported': true,
  };
}

/** JWT VC Issuer Metadata (SD-JWT VC): the issuer's Ed25519 keys as JWKs, retired ones too (older credentials). */
export async function jwtVcIssuerMetadata(
  publicUrl: string,
  issuer: { _id: string; did: string; keys: { keyId: string; publicKeyMultibase: string }[] },
) {
  const keys = await Promise.all(
    issuer.keys.map(async (k) => {
      const pair = await Ed25519Multikey.from({
        id: `${issuer.did}#${k.keyId}`,
        controller: issuer.did,
        publicKeyMultibase: k.publicKeyMultibase,
      });
      const jwk = (await Ed25519Multikey.toJwk({ keyPair: pair })) as Record<string, unknown>;
      return { ...jwk, kid: `${issuer.did}#${k.keyId}`, alg: 'EdDSA', use: 'sig' };
    }),
  );
  return { issuer: credentialIssuerId(publicUrl, issuer._id), jwks: { keys } };
}
