import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { ALLOWED_ALGS, CLAIM } from './constants.js';
import { LtiError } from './errors.js';
import type { PlatformDoc } from './models.js';
import type { PlatformJwks } from './platform-jwks.js';

export const MESSAGE_TYPES = ['LtiResourceLinkRequest', 'LtiDeepLinkingRequest'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Oldest `iat` accepted, and allowed clock difference with the platform. */
const MAX_TOKEN_AGE_S = 600;
const CLOCK_TOLERANCE_S = 30;

export interface VerifiedLaunch {
  claims: JWTPayload & Record<string, unknown>;
  deploymentId: string;
  messageType: MessageType;
}

/**
 * Validates a launch id_token against the platform the login started with (LTI 1.3 core §5.1.3, 1EdTech
 * Security Framework §5.1.3): RS256 signature by a key of the platform's JWKS, iss = the platform's issuer,
 * aud containing our client id (azp equal to it when present or when aud lists several), exp/iat within
 * limits, nonce equal to the one this login issued, deployment known, supported message type and version.
 */
export async function verifyIdToken(
  idToken: string,
  platform: PlatformDoc,
  expectedNonce: string,
  jwks: PlatformJwks,
): Promise<VerifiedLaunch> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(idToken).alg;
  } catch {
    throw new LtiError(400, 'malformed_id_token', 'The id_token is not a JWT.');
  }
  if (!alg || !ALLOWED_ALGS.includes(alg)) {
    throw new LtiError(
      401,
      'alg_not_allowed',
      `The id_token is signed with "${alg ?? 'no algorithm'}"; only RS256 is accepted.`,
    );
  }

  let claims: JWTPayload & Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(idToken, jwks.forUrl(platform.jwksUrl), {
      algorithms: ALLOWED_ALGS,
      issuer: platform.issuer,
      audience: platform.clientId,
      maxTokenAge: MAX_TOKEN_AGE_S,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'nonce'],
    }));
  } catch (err) {
    throw verificationError(err);
  }

  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if ((aud.length > 1 || claims.azp !== undefined) && claims.azp !== platform.clientId) {
    throw new LtiError(401, 'azp_mismatch', 'The id_token names another party (azp) than this tool.');
  }
  if (claims.nonce !== expectedNonce) {
    throw new LtiError(401, 'nonce_mismatch', 'The id_token nonce is not the one issued for this login.');
  }
  const deploymentId = claims[CLAIM.deploymentId];
  if (typeof deploymentId !== 'string' || !platform.deploymentIds.includes(deploymentId)) {
    throw new LtiError(
      403,
      'unknown_deployment',
      'This deployment of the tool is not registered with Credbridge.',
    );
  }
  const messageType = claims[CLAIM.messageType];
  if (!MESSAGE_TYPES.includes(messageType as MessageType)) {
    throw new LtiError(400, 'unsupported_message', 'The launch message type is not supported.');
  }
  if (claims[CLAIM.version] !== '1.3.0') {
    throw new LtiError(400, 'unsupported_version', 'Only LTI 1.3.0 launches are supported.');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw new LtiError(
      400,
      'anonymous_launch',
      'The launch carries no user (sub); Credbridge needs to know who you are.',
    );
  }
  return { claims, deploymentId, messageType: messageType as MessageType };
}

function verificationError(err: unknown): LtiError {
  if (err instanceof errors.JWTExpired)
    return new LtiError(401, 'token_expired', 'The id_token has expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'iss')
      return new LtiError(401, 'iss_mismatch', 'The id_token comes from another issuer than the platform.');
    if (claim === 'aud')
      return new LtiError(401, 'aud_mismatch', 'The id_token is addressed to another client than this tool.');
    if (claim === 'iat')
      return new LtiError(401, 'token_too_old', 'The id_token was issued too long ago or in the future.');
    return new LtiError(401, 'claim_invalid', `The id_token claim "${claim}" is missing or invalid.`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new LtiError(401, 'unknown_kid', "No key of the platform's JWKS matches the id_token's key id.");
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new LtiError(401, 'bad_signature', 'The id_token signature does not verify.');
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new LtiError(401, 'alg_not_allowed', 'Only RS256 id_tokens are accepted.');
  }
  if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
    return new LtiError(502, 'jwks_unavailable', "The platform's keys could not be fetched.");
  }
  return new LtiError(401, 'invalid_id_token', 'The id_token is not valid.');
}
