import { Router, urlencoded, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../config/env.js';
import { findCredential, storedStatus } from '../../credentials/credential-store.js';
import type { DocumentLoader } from '../../credentials/document-loader.js';
import { recordAudit } from '../../db/models/audit-event.js';
import { cachedIssuer } from '../../issuers/issuer-cache.js';
import { signingIssuer } from '../../issuers/issuers.js';
import {
  authorizationServerMetadata,
  credentialIssuerId,
  credentialIssuerMetadata,
  credentialIssuerMetadataPath,
  jwtVcIssuerMetadata,
  WALLET_PAR_PATH,
} from '../../wallets/issuer-metadata.js';
import { verifyKeyProof } from '../../wallets/key-proof.js';
import { sdJwtAlgorithm, sdJwtSigner } from '../../wallets/sd-jwt-signer.js';
import {
  AUTHORIZATION_CODE_GRANT,
  pushAuthorizationRequest,
  redeemAuthorizationCode,
} from '../../wallets/authorization.js';
import { newNonce } from '../../wallets/nonces.js';
import {
  offerCodeKey,
  offerDocument,
  PRE_AUTHORIZED_GRANT,
  redeemCode,
  useAccessToken,
  WalletError,
} from '../../wallets/offers.js';
import { OPEN_BADGE_CONFIGURATION, walletOpenBadge } from '../../wallets/open-badge-offer.js';
import {
  EU_MICROCREDENTIAL_CONFIGURATION,
  genericTypeMetadata,
  templateTypeMetadata,
  vctOf,
  walletMicrocredential,
} from '../../wallets/eu-microcredential.js';
import { findPublishedTemplate } from '../../templates/lifecycle.js';
import { credentialPageUrl } from '../../issuance/links.js';
import { IssuanceRequest } from '../../issuance/request-model.js';
import { learnerAddress } from '../../notifications/address.js';
import {
  STATUS_LIST_TTL_SECONDS,
  statusListToken,
  tokenStatusList,
  tokenStatusListUrl,
} from '../../wallets/token-status-list.js';
import { publicReadCors } from '../cors.js';
import {
  deliveredPresentation,
  exchangeStep,
  EXCHANGES_PATH,
  interactionProtocols,
  INTERACTIONS_PATH,
} from '../../wallets/vc-api-exchange.js';

const ISSUER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

const tokenBody = z.object({
  grant_type: z.string(),
  'pre-authorized_code': z.string().min(1).max(200).optional(),
  tx_code: z.string().max(50).optional(),
  code: z.string().min(1).max(200).optional(),
  code_verifier: z.string().max(200).optional(),
  redirect_uri: z.string().max(1000).optional(),
  client_id: z.string().max(200).optional(),
});
const parBody = z.object(
  Object.fromEntries(
    [
      'response_type',
      'client_id',
      'redirect_uri',
      'code_challenge',
      'code_challenge_method',
      'state',
      'scope',
      'authorization_details',
      'resource',
      'request',
      'request_uri',
    ].map((k) => [k, z.string().max(4000).optional()]),
  ),
);
const credentialBody = z.object({
  credential_configuration_id: z.string().min(1).max(100),
  proofs: z.object({ jwt: z.array(z.string().max(8_000)).min(1).max(1) }).optional(),
});

/** An OAuth / OpenID4VCI error answer: `{error, error_description}`, never cached. */
function refuse(res: Response, err: WalletError): void {
  res.setHeader('Cache-Control', 'no-store');
  if (err.status === 401) res.setHeader('WWW-Authenticate', `Bearer error="${err.code}"`);
  res.status(err.status).json({ error: err.code, error_description: err.message });
}

/**
 * OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: each awarding body of the installation
 * is a credential issuer (metadata at its well-known URL), the installation its authorization server (token
 * endpoint), with a nonce endpoint for key proofs. An offer (made on the learner's page) gives one stored
 * credential once; the wallet proves a key, and receives the credential bound to it.
 */
export function walletRouter(config: Config, kek: Buffer, documentLoader: DocumentLoader): Router {
  const router = Router();
  const publicUrl = config.PUBLIC_URL.replace(/\/$/, '');
  const codeKey = offerCodeKey(kek);
  const audit = (action: string, id: string, details: Record<string, unknown> = {}) =>
    recordAudit(
      { actor: { kind: 'public', id: 'wallet' }, action, target: { kind: 'credential', id }, details },
      config.AUDIT_RETENTION_DAYS,
    );
  const wallet =
    (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
      try {
        await handler(req, res);
      } catch (err) {
        if (err instanceof WalletError) return refuse(res, err);
        throw err;
      }
    };

  /** The learner's address as the LMS gave it to the request that issued the credential (valid ones only). */
  const learnerEmail = async (credentialId: string) => {
    const request = await IssuanceRequest.findById(credentialId, { 'learner.email': 1 }).lean();
    const email = learnerAddress(request?.learner?.email);
    return email ? { email } : {};
  };

  /** A stored credential that may still go to a wallet (neither revoked nor suspended), with its issuer's key. */
  const deliverable = async (credentialId: string) => {
    const stored = await findCredential(credentialId);
    const issuer = stored ? await cachedIssuer(stored.issuerId).catch(() => undefined) : undefined;
    if (!stored || !issuer)
      throw new WalletError('credential_request_denied', 'the credential no longer exists');
    const status = await storedStatus(stored.status);
    if (status.revoked || status.suspended)
      throw new WalletError(
        'credential_request_denied',
        `the credential is ${status.revoked ? 'revoked' : 'suspended'}`,
      );
    return { stored, issuer, signer: await signingIssuer(issuer, kek) };
  };

  router.get('/.well-known/oauth-authorization-server', publicReadCors, (_req, res) => {
    res.json(authorizationServerMetadata(publicUrl));
  });

  router.get(credentialIssuerMetadataPath(':issuerId'), publicReadCors, async (req, res) => {
    const id = String(req.params.issuerId);
    const issuer = ISSUER_ID.test(id) ? await cachedIssuer(id).catch(() => undefined) : undefined;
    if (!issuer) return refuse(res, new WalletError('not_found', 'no such credential issuer', 404));
    res.json(
      credentialIssuerMetadata(
        publicUrl,
        issuer._id,
        issuer.profile,
        await sdJwtAlgorithm(issuer.institutionId),
      ),
    );
  });

  router.get('/.well-known/jwt-vc-issuer/wallet/issuers/:issuerId', publicReadCors, async (req, res) => {
    const id = String(req.params.issuerId);
    const issuer = ISSUER_ID.test(id) ? await cachedIssuer(id).catch(() => undefined) : undefined;
    if (!issuer) return refuse(res, new WalletError('not_found', 'no such credential issuer', 404));
    res.json(await jwtVcIssuerMetadata(publicUrl, issuer));
  });

  router.get(`/wallet/types/${EU_MICROCREDENTIAL_CONFIGURATION}`, publicReadCors, (_req, res) => {
    res.json(genericTypeMetadata(publicUrl));
  });

  router.get('/wallet/types/:institutionId/:key/:version', publicReadCors, async (req, res) => {
    const { institutionId, key, version } = req.params as Record<string, string>;
    const template = /^\d{1,6}$/.test(version!)
      ? await findPublishedTemplate(institutionId!, key!, Number(version)).catch(() => undefined)
      : undefined;
    if (!template) return refuse(res, new WalletError('not_found', 'no such credential type', 404));
    res.json(
      templateTypeMetadata(
        publicUrl,
        vctOf(publicUrl, institutionId!, key!, template.version),
        template.data,
      ),
    );
  });

  router.get('/wallet/status-lists/:listId', publicReadCors, async (req, res) => {
    const listId = String(req.params.listId);
    const list = /^[A-Za-z0-9_-]{1,100}$/.test(listId) ? await tokenStatusList(listId) : undefined;
    const issuer = list ? await cachedIssuer(list.issuerId).catch(() => undefined) : undefined;
    if (!list || !issuer) return refuse(res, new WalletError('not_found', 'no such status list', 404));
    const token = await statusListToken(
      tokenStatusListUrl(publicUrl, listId),
      { bits: list.bits, lst: list.lst },
      (await signingIssuer(issuer, kek)).key,
    );
    res.setHeader('Cache-Control', `public, max-age=${STATUS_LIST_TTL_SECONDS}`);
    res.type('application/statuslist+jwt').send(token);
  });

  router.get('/wallet/offers/:offerId', publicReadCors, async (req, res) => {
    const offer = await offerDocument(codeKey, String(req.params.offerId), (id) =>
      credentialIssuerId(publicUrl, id),
    );
    res.setHeader('Cache-Control', 'no-store');
    if (!offer)
      return refuse(res, new WalletError('not_found', 'the offer is unknown, used or expired', 404));
    res.json(offer);
  });

  router.post(
    '/wallet/token',
    urlencoded({ extended: false, limit: '8kb' }),
    wallet(async (req, res) => {
      const body = tokenBody.safeParse(req.body ?? {});
      if (!body.success) throw new WalletError('invalid_request', 'the token request is malformed');
      let issued;
      if (body.data.grant_type === PRE_AUTHORIZED_GRANT) {
        const code = body.data['pre-authorized_code'];
        if (!code) throw new WalletError('invalid_request', 'pre-authorized_code is required');
        issued = await redeemCode(codeKey, code, body.data.tx_code);
      } else if (body.data.grant_type === AUTHORIZATION_CODE_GRANT) {
        issued = await redeemAuthorizationCode(body.data);
      } else {
        throw new WalletError(
          'unsupported_grant_type',
          `grant_type: only ${PRE_AUTHORIZED_GRANT} and ${AUTHORIZATION_CODE_GRANT} are supported`,
        );
      }
      const { accessToken, expiresIn, credentialId, configurationId } = issued;
      await audit('wallet.token', credentialId, {
        configuration: configurationId,
        grant: body.data.grant_type === PRE_AUTHORIZED_GRANT ? 'pre-authorized_code' : 'authorization_code',
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn });
    }),
  );

  router.post(
    WALLET_PAR_PATH,
    urlencoded({ extended: false, limit: '16kb' }),
    wallet(async (req, res) => {
      const body = parBody.safeParse(req.body ?? {});
      if (!body.success) throw new WalletError('invalid_request', 'the authorization request is malformed');
      const { requestUri, expiresIn } = await pushAuthorizationRequest(
        publicUrl,
        body.data,
        config.WALLET_REDIRECT_SCHEMES,
      );
      res.setHeader('Cache-Control', 'no-store');
      res.status(201).json({ request_uri: requestUri, expires_in: expiresIn });
    }),
  );

  router.post(
    '/wallet/nonce',
    wallet(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ c_nonce: newNonce(codeKey) });
    }),
  );

  router.post(
    '/wallet/issuers/:issuerId/credential',
    wallet(async (req, res) => {
      const auth = req.get('authorization') ?? '';
      const token = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(auth)?.[1];
      if (!token) throw new WalletError('invalid_token', 'a Bearer access token is required', 401);
      const body = credentialBody.safeParse(req.body ?? {});
      if (!body.success)
        throw new WalletError('invalid_credential_request', 'the credential request is malformed');
      const issuerId = String(req.params.issuerId);
      // The token is spent by this request whatever follows: a proof that fails needs a new offer.
      const grant = await useAccessToken(token);
      if (grant.issuerId !== issuerId)
        throw new WalletError('invalid_token', 'the access token is for another credential issuer', 401);
      if (body.data.credential_configuration_id !== grant.configurationId)
        throw new WalletError(
          'unknown_credential_configuration',
          'credential_configuration_id: not the one offered',
        );
      const proof = body.data.proofs?.jwt[0];
      if (!proof) throw new WalletError('invalid_proof', 'proofs.jwt: a key proof is required');
      const holder = await verifyKeyProof(proof, credentialIssuerId(publicUrl, issuerId), codeKey);
      const { stored, issuer, signer } = await deliverable(grant.credentialId);
      let credential: unknown;
      if (grant.configurationId === OPEN_BADGE_CONFIGURATION) {
        credential = await walletOpenBadge(stored.ob3, holder.did, signer.key, documentLoader);
      } else if (grant.configurationId === EU_MICROCREDENTIAL_CONFIGURATION) {
        const template = await findPublishedTemplate(
          issuer.institutionId,
          stored.templateKey,
          stored.templateVersion,
        );
        if (!template)
          throw new WalletError('credential_request_denied', 'the credential’s template is gone');
        credential = await walletMicrocredential({
          stored,
          template: template.data,
          issuer: { institutionId: issuer.institutionId, profile: issuer.profile },
          credentialIssuer: credentialIssuerId(publicUrl, issuerId),
          holder: holder.jwk,
          signer: await sdJwtSigner(issuer.institutionId, signer.key, kek),
          publicUrl,
          credentialUrl: credentialPageUrl(publicUrl, stored._id),
          ...(await learnerEmail(stored._id)),
        });
      } else {
        throw new WalletError(
          'unknown_credential_configuration',
          'credential_configuration_id: not supported',
        );
      }
      await audit('wallet.issue', stored._id, { configuration: grant.configurationId, holder: holder.did });
      res.setHeader('Cache-Control', 'no-store');
      res.json({ credentials: [{ credential }] });
    }),
  );

  router.get(`${INTERACTIONS_PATH}/:exchangeId`, publicReadCors, async (req, res) => {
    const protocols = await interactionProtocols(publicUrl, String(req.params.exchangeId));
    res.setHeader('Cache-Control', 'no-store');
    if (!protocols)
      return refuse(res, new WalletError('not_found', 'the exchange is unknown, complete or expired', 404));
    res.json(protocols);
  });

  router.post(
    `${EXCHANGES_PATH}/:exchangeId`,
    wallet(async (req, res) => {
      const step = await exchangeStep(
        publicUrl,
        String(req.params.exchangeId),
        (req.body ?? {}) as { verifiablePresentation?: unknown },
        documentLoader,
      );
      res.setHeader('Cache-Control', 'no-store');
      if (step.request) return void res.json(step.request);
      const { stored, signer } = await deliverable(step.credentialId!);
      const credential = await walletOpenBadge(stored.ob3, step.holder!, signer.key, documentLoader);
      await audit('wallet.issue', stored._id, {
        configuration: OPEN_BADGE_CONFIGURATION,
        protocol: 'vc-api',
        holder: step.holder,
      });
      res.json(deliveredPresentation(credential));
    }),
  );

  return router;
}
