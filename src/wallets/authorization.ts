import { createHash, randomBytes } from 'node:crypto';
import { claimOnce } from './claims.js';
import { EU_MICROCREDENTIAL_CONFIGURATION } from './eu-microcredential.js';
import { hash, issueAccessToken, WalletError, type IssuedToken } from './offers.js';
import { OPEN_BADGE_CONFIGURATION } from './open-badge-offer.js';
import { WalletAuthorization } from './wallet-models.js';

/**
 * The authorization code flow of OpenID4VCI 1.0 (RFC 6749 with PKCE S256, pushed authorization requests): a wallet
 * pushes what it asks for, the learner's browser comes to the consent page (src/ui/wallet-consent-routes.ts), the
 * learner, known by the session they already have, picks one of their credentials, and the wallet redeems the code
 * with its PKCE verifier for an access token to that one credential.
 */

export const AUTHORIZATION_CODE_GRANT = 'authorization_code';
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** Long enough for a learner to sign in on the way (the LMS or the e-mail link); a code is redeemed at once. */
export const REQUEST_TTL_MS = 10 * 60_000;
export const CODE_TTL_MS = 2 * 60_000;
/** What a wallet may ask for by `scope`: the configuration ids themselves. */
export const CONFIGURATION_SCOPES = [EU_MICROCREDENTIAL_CONFIGURATION, OPEN_BADGE_CONFIGURATION];

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const HOST = /^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[[0-9a-f:.]+\])$/i;
const LOOPBACK = ['127.0.0.1', '[::1]', 'localhost'];

/**
 * Where a code may be sent, as an allow-list: HTTPS to a plain host name, plain HTTP on the wallet's own machine
 * (RFC 8252 loopback), or a wallet app's scheme, which must be a reverse domain name (RFC 8252 7.1) or one the
 * operator lists (`appSchemes`): never an operating system's protocol handler, never a fragment.
 */
export function redirectUriProblem(value: string, appSchemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirect_uri: must be an absolute URI';
  }
  if (url.hash || value.includes('#')) return 'redirect_uri: must not have a fragment';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https' || scheme === 'http') {
    if (url.username || url.password) return 'redirect_uri: must not carry a user name or password';
    if (!HOST.test(url.hostname)) return 'redirect_uri: the host must be a plain DNS name or IP address';
    if (scheme === 'http' && !LOOPBACK.includes(url.hostname))
      return 'redirect_uri: plain http is allowed only on the loopback interface; use https';
    return undefined;
  }
  if (/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme) || appSchemes.includes(scheme)) return undefined;
  return `redirect_uri: the ${scheme}: scheme is not a wallet's (https, an app's reverse-domain scheme, or one of WALLET_REDIRECT_SCHEMES)`;
}

/** The issuer id a credential issuer URL of this installation names (`<PUBLIC_URL>/wallet/issuers/<id>`). */
function issuerIdOf(publicUrl: string, value: string): string | undefined {
  const prefix = `${publicUrl}/wallet/issuers/`;
  const id = value.startsWith(prefix) ? value.slice(prefix.length) : '';
  return /^[a-z0-9][a-z0-9-]{1,62}$/.test(id) ? id : undefined;
}

export interface PushedRequest {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  state?: string;
  scope?: string;
  authorization_details?: string;
  resource?: string;
  request?: string;
  request_uri?: string;
}

/** What the wallet asks for: one configuration, by scope or by authorization_details, and maybe one issuer. */
function requestedCredential(
  publicUrl: string,
  body: PushedRequest,
): { configurationId: string; issuerId?: string } {
  const wanted = new Set<string>();
  const issuers = new Set<string>();
  for (const scope of (body.scope ?? '').split(' ').filter(Boolean))
    if (CONFIGURATION_SCOPES.includes(scope)) wanted.add(scope);
    else if (scope !== 'openid')
      throw new WalletError('invalid_scope', `scope: "${scope}" is not offered here`);
  if (body.authorization_details !== undefined) {
    let details: unknown;
    try {
      details = JSON.parse(body.authorization_details);
    } catch {
      throw new WalletError('invalid_authorization_details', 'authorization_details: must be a JSON array');
    }
    if (!Array.isArray(details) || details.length === 0 || details.length > 4)
      throw new WalletError(
        'invalid_authorization_details',
        'authorization_details: must be a JSON array of 1 to 4',
      );
    for (const [i, d] of details.entries()) {
      const detail = d as { type?: unknown; credential_configuration_id?: unknown; locations?: unknown };
      if (detail?.type !== 'openid_credential')
        throw new WalletError(
          'invalid_authorization_details',
          `authorization_details[${i}].type: must be "openid_credential"`,
        );
      const id = detail.credential_configuration_id;
      if (typeof id !== 'string' || !CONFIGURATION_SCOPES.includes(id))
        throw new WalletError(
          'invalid_authorization_details',
          `authorization_details[${i}].credential_configuration_id: not a configuration of this issuer`,
        );
      wanted.add(id);
      if (detail.locations !== undefined) {
        if (!Array.isArray(detail.locations) || detail.locations.length !== 1)
          throw new WalletError(
            'invalid_authorization_details',
            `authorization_details[${i}].locations: one credential issuer`,
          );
        const issuerId = issuerIdOf(publicUrl, String(detail.locations[0]));
        if (!issuerId)
          throw new WalletError(
            'invalid_authorization_details',
            `authorization_details[${i}].locations: not a credential issuer here`,
          );
        issuers.add(issuerId);
      }
    }
  }
  if (body.resource !== undefined) {
    const issuerId = issuerIdOf(publicUrl, body.resource);
    if (!issuerId)
      throw new WalletError('invalid_target', 'resource: not a credential issuer of this installation');
    issuers.add(issuerId);
  }
  if (wanted.size !== 1)
    throw new WalletError(
      wanted.size ? 'invalid_request' : 'invalid_scope',
      `scope or authorization_details: ask for exactly one of ${CONFIGURATION_SCOPES.join(', ')}`,
    );
  if (issuers.size > 1) throw new WalletError('invalid_request', 'one credential issuer per request');
  const [configurationId] = wanted as unknown as [string];
  const [issuerId] = issuers;
  return { configurationId, ...(issuerId ? { issuerId } : {}) };
}

/** The pushed authorization request endpoint (RFC 9126): validates everything now, so the consent page need not. */
export async function pushAuthorizationRequest(
  publicUrl: string,
  body: PushedRequest,
  appSchemes: readonly string[],
  now = new Date(),
): Promise<{ requestUri: string; expiresIn: number }> {
  if (body.request !== undefined || body.request_uri !== undefined)
    throw new WalletError(
      'invalid_request',
      'request and request_uri: signed or referenced requests are not read here',
    );
  if (body.response_type !== 'code')
    throw new WalletError('unsupported_response_type', 'response_type: must be "code"');
  const clientId = body.client_id ?? '';
  if (!/^[\x20-\x7e]{1,200}$/.test(clientId))
    throw new WalletError(
      'invalid_request',
      'client_id: required, 1 to 200 printable ASCII characters (RFC 6749 VSCHAR)',
    );
  const redirectUri = body.redirect_uri ?? '';
  const problem =
    redirectUri.length > 1000
      ? 'redirect_uri: at most 1000 characters'
      : redirectUriProblem(redirectUri, appSchemes);
  if (problem) throw new WalletError('invalid_request', problem);
  if (body.code_challenge_method !== 'S256')
    throw new WalletError('invalid_request', 'code_challenge_method: must be "S256" (PKCE)');
  if (!CODE_CHALLENGE.test(body.code_challenge ?? ''))
    throw new WalletError('invalid_request', 'code_challenge: required, 43 to 128 base64url characters');
  if (body.state !== undefined && body.state.length > 500)
    throw new WalletError('invalid_request', 'state: at most 500 characters');
  const asked = requestedCredential(publicUrl, body);
  const requestId = randomBytes(24).toString('base64url');
  await WalletAuthorization.create({
    _id: hash(requestId),
    clientId,
    redirectUri,
    codeChallenge: body.code_challenge,
    ...(body.state !== undefined ? { state: body.state } : {}),
    ...asked,
    status: 'pending',
    expiresAt: new Date(now.getTime() + REQUEST_TTL_MS),
  });
  return { requestUri: `${REQUEST_URI_PREFIX}${requestId}`, expiresIn: REQUEST_TTL_MS / 1000 };
}

export interface PendingRequest {
  id: string;
  requestUri: string;
  clientId: string;
  redirectUri: string;
  state?: string;
  configurationId: string;
  issuerId?: string;
}

/** A pushed request still waiting for the learner, named by its request_uri and the client that pushed it. */
export async function pendingRequest(
  requestUri: string,
  clientId: string,
  now = new Date(),
): Promise<PendingRequest | undefined> {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX) || requestUri.length > 200) return undefined;
  const found = await WalletAuthorization.findOne({
    _id: hash(requestUri.slice(REQUEST_URI_PREFIX.length)),
    status: 'pending',
    expiresAt: { $gt: now },
  }).lean();
  if (!found || found.clientId !== clientId) return undefined;
  return {
    id: found._id,
    requestUri,
    clientId: found.clientId,
    redirectUri: found.redirectUri,
    ...(typeof found.state === 'string' ? { state: found.state } : {}),
    configurationId: found.configurationId,
    ...(found.issuerId ? { issuerId: found.issuerId } : {}),
  };
}

/** Where the browser goes with the learner's answer (RFC 6749 4.1.2, with RFC 9207's `iss`). */
function answerUri(request: PendingRequest, issuer: string, params: Record<string, string>): string {
  const url = new URL(request.redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  url.searchParams.set('iss', issuer);
  return url.toString();
}

/**
 * The learner's answer on the consent page, taken once: a code for the credential they chose, or access_denied.
 * Returns where to send the browser.
 */
export async function answerRequest(
  request: PendingRequest,
  issuer: string,
  answer: { grant: { credentialId: string; issuerId: string; learnerRef: string } } | { denied: true },
  now = new Date(),
): Promise<string> {
  if (!(await claimOnce(`answer:${request.id}`, new Date(now.getTime() + REQUEST_TTL_MS))))
    throw new WalletError('invalid_request', 'this request was already answered');
  if ('denied' in answer) {
    await WalletAuthorization.updateOne({ _id: request.id }, { $set: { status: 'denied' } });
    return answerUri(request, issuer, {
      error: 'access_denied',
      error_description: 'the learner declined',
    });
  }
  const code = randomBytes(32).toString('base64url');
  const codeExpiresAt = new Date(now.getTime() + CODE_TTL_MS);
  await WalletAuthorization.updateOne(
    { _id: request.id },
    {
      $set: {
        status: 'granted',
        codeHash: hash(code),
        credentialId: answer.grant.credentialId,
        grantedIssuerId: answer.grant.issuerId,
        learnerRef: answer.grant.learnerRef,
        codeExpiresAt,
        expiresAt: codeExpiresAt,
      },
    },
  );
  return answerUri(request, issuer, { code });
}

/** The token endpoint's authorization_code grant: the code, once, from the client it was given to, with PKCE. */
export async function redeemAuthorizationCode(
  params: { code?: string; code_verifier?: string; redirect_uri?: string; client_id?: string },
  now = new Date(),
): Promise<IssuedToken> {
  if (!params.code) throw new WalletError('invalid_request', 'code is required');
  if (!params.code_verifier || !CODE_VERIFIER.test(params.code_verifier))
    throw new WalletError('invalid_request', 'code_verifier: required, 43 to 128 characters (PKCE)');
  const found = await WalletAuthorization.findOne({ codeHash: hash(params.code), status: 'granted' }).lean();
  if (!found || !found.codeExpiresAt || found.codeExpiresAt <= now)
    throw new WalletError('invalid_grant', 'the authorization code is unknown or has expired');
  if (!(await claimOnce(`code:${found._id}`, found.codeExpiresAt)))
    throw new WalletError('invalid_grant', 'the authorization code was already used');
  if (params.client_id !== found.clientId)
    throw new WalletError('invalid_grant', 'client_id: not the client the code was given to');
  if (params.redirect_uri !== found.redirectUri)
    throw new WalletError('invalid_grant', 'redirect_uri: not the one of the authorization request');
  const challenge = createHash('sha256').update(params.code_verifier).digest('base64url');
  if (challenge !== found.codeChallenge)
    throw new WalletError('invalid_grant', 'code_verifier: does not match the code_challenge');
  return issueAccessToken(
    found._id,
    {
      credentialId: found.credentialId!,
      issuerId: found.grantedIssuerId!,
      configurationId: found.configurationId,
    },
    now,
  );
}
