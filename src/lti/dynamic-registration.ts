import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { outboundFetch } from '../net/outbound.js';
import { PATHS, PLATFORM_CONFIGURATION, TOOL_CONFIGURATION, TOOL_SCOPES } from './constants.js';
import type { LtiDeps } from './deps.js';
import { LtiError } from './errors.js';
import { translator } from '../i18n/catalogs.js';
import { html } from '../render/html.js';
import { pickLanguage } from '../web/language.js';
import { sendPage } from '../web/standalone-page.js';
import { canvasDeveloperKeyConfig } from './canvas-config.js';
import { wrap } from './launch.js';
import { LtiPlatform } from './models.js';
import { onlyDuplicateKeys } from '../db/duplicate-key.js';
import { recordAudit } from '../db/models/audit-event.js';
import {
  claimRegistrationLink,
  completeRegistrationLink,
  releaseRegistrationLink,
} from './registration-links.js';

const httpUrl = z.url({ protocol: /^https?$/ });

const openIdConfigSchema = z.looseObject({
  issuer: httpUrl,
  authorization_endpoint: httpUrl,
  token_endpoint: httpUrl,
  jwks_uri: httpUrl,
  registration_endpoint: httpUrl,
  authorization_server: z.string().optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
  scopes_supported: z.array(z.string()).optional(),
  [PLATFORM_CONFIGURATION]: z
    .looseObject({
      product_family_code: z.string().optional(),
      messages_supported: z
        .array(z.looseObject({ type: z.string(), placements: z.array(z.string()).optional() }))
        .optional(),
    })
    .optional(),
});

const registrationResponseSchema = z.looseObject({
  client_id: z.string().min(1),
  scope: z.string().optional(),
  [TOOL_CONFIGURATION]: z.looseObject({ deployment_id: z.string().min(1).optional() }).optional(),
});

/**
 * The tool's side of the registration, as sent to the platform (LTI Dynamic Registration 1.0 §3.5.2). Canvas
 * gets what its developer-key JSON (/lti/canvas.json) asks for too: its own user and course ids as custom
 * parameters (the Canvas grade source maps learners by them), the course navigation and link/assignment
 * selection placements, and a public privacy level so names and e-mail come with launches.
 */
export function registrationRequest(
  publicUrl: string,
  platformConfig: z.infer<typeof openIdConfigSchema>,
  institutionId: string,
) {
  const canvas = platformConfig[PLATFORM_CONFIGURATION]?.product_family_code === 'canvas';
  const dlPlacements = canvas
    ? ['link_selection', 'assignment_selection']
    : platformConfig[PLATFORM_CONFIGURATION]?.messages_supported?.find(
        (m) => m.type === 'LtiDeepLinkingRequest',
      )?.placements;
  const supported = new Set(platformConfig.scopes_supported ?? TOOL_SCOPES);
  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: publicUrl + PATHS.login,
    redirect_uris: [publicUrl + PATHS.launch],
    client_name: 'Credbridge',
    // The institution's own keys: this LMS will trust no other institution's assertions.
    jwks_uri: `${publicUrl}${PATHS.jwks}/${institutionId}`,
    logo_uri: '',
    token_endpoint_auth_method: 'private_key_jwt',
    scope: TOOL_SCOPES.filter((s) => supported.has(s)).join(' '),
    [TOOL_CONFIGURATION]: {
      domain: new URL(publicUrl).host,
      target_link_uri: publicUrl + PATHS.launch,
      description: 'Signed EU micro-credentials for passed course assessments',
      claims: ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'],
      ...(canvas
        ? {
            custom_parameters: canvasDeveloperKeyConfig(publicUrl, institutionId).custom_fields,
            'https://canvas.instructure.com/lti/privacy_level': 'public',
          }
        : {}),
      messages: [
        {
          type: 'LtiResourceLinkRequest',
          target_link_uri: publicUrl + PATHS.launch,
          label: canvas ? 'Credentials' : 'Credbridge',
          ...(canvas ? { placements: ['course_navigation'] } : {}),
        },
        {
          type: 'LtiDeepLinkingRequest',
          target_link_uri: publicUrl + PATHS.launch,
          label: 'Add a credential',
          ...(dlPlacements?.length ? { placements: dlPlacements } : {}),
        },
      ],
    },
  };
}

/**
 * LTI Dynamic Registration, with authority: the LMS opens a registration link an institution administrator
 * made (`/lti/register/<token>`) with `openid_configuration` and `registration_token`. The link is claimed
 * before anything leaves the server, so a stranger's "LMS" never makes the tool fetch or register anything.
 * The tool then reads the platform's configuration, registers itself, stores the platform under the link's
 * institution and shows a finish page that tells the LMS to close the window. Registering again from the same
 * platform (same issuer and the client id the platform hands back, as Moodle does when an admin re-registers
 * and chooses to update the tool) updates the stored platform, if it belongs to the same institution.
 */
export function dynamicRegistrationRouter(deps: LtiDeps): Router {
  const router = Router();
  // Without a link: refused before any outbound request, with the way to get one.
  router.get(
    PATHS.register,
    wrap(deps, async () => {
      throw new LtiError(
        403,
        'registration_link_required',
        'Credbridge registers only through a registration link: ask an administrator of your institution in Credbridge to create one (Platforms > Registration links) and paste that link instead.',
      );
    }),
  );
  router.get(
    `${PATHS.register}/:token`,
    wrap(deps, async (req: Request, res: Response) => {
      const link = await claimRegistrationLink(String(req.params.token));
      if (!link) {
        throw new LtiError(
          403,
          'registration_link_invalid',
          'This registration link is not valid: it may have expired, been used or withdrawn. Ask an administrator of your institution in Credbridge for a new one.',
        );
      }
      let saved = false;
      try {
        await register(deps, req, res, link.institutionId, async (platformId, issuer) => {
          await completeRegistrationLink(link, platformId);
          saved = true;
          // The institution's audit log says which LMS joined through which of its links.
          await recordAudit(
            {
              actor: { kind: 'system', id: 'lti-registration' },
              institutionId: link.institutionId,
              action: 'platform.register',
              target: { kind: 'platform', id: String(platformId) },
              details: { issuer, registrationLink: String(link.id) },
            },
            deps.config.AUDIT_RETENTION_DAYS,
          );
        });
      } finally {
        if (!saved) await releaseRegistrationLink(link);
      }
    }),
  );
  return router;
}

async function register(
  deps: LtiDeps,
  req: Request,
  res: Response,
  institutionId: string,
  onSaved: (platformId: unknown, issuer: string) => Promise<void>,
): Promise<void> {
  const configUrl = typeof req.query.openid_configuration === 'string' ? req.query.openid_configuration : '';
  const regToken =
    typeof req.query.registration_token === 'string' ? req.query.registration_token : undefined;
  if (!httpUrl.safeParse(configUrl).success) {
    throw new LtiError(
      400,
      'invalid_registration',
      'The registration request lacks a valid openid_configuration URL.',
    );
  }
  const auth: Record<string, string> = regToken ? { authorization: `Bearer ${regToken}` } : {};
  const configRes = await fetchJson(configUrl, { headers: { ...auth, accept: 'application/json' } });
  if (!configRes.ok) {
    throw new LtiError(
      502,
      'registration_config_refused',
      `The platform refused its OpenID configuration (HTTP ${configRes.status}).`,
    );
  }
  const parsed = openIdConfigSchema.safeParse(configRes.body);
  if (!parsed.success)
    throw new LtiError(
      502,
      'registration_config_invalid',
      "The platform's OpenID configuration is incomplete.",
    );
  const config = parsed.data;
  // The configuration must come from the issuer's own host, or anyone could register under a known issuer.
  // (The registration endpoint may be elsewhere: Canvas serves it from the school's host.)
  if (new URL(config.issuer).host !== new URL(configUrl).host) {
    throw new LtiError(
      400,
      'registration_issuer_mismatch',
      'The OpenID configuration names an issuer on another host.',
    );
  }
  if (
    config.id_token_signing_alg_values_supported &&
    !config.id_token_signing_alg_values_supported.includes('RS256')
  ) {
    throw new LtiError(400, 'registration_alg_unsupported', 'The platform does not sign with RS256.');
  }
  const regRes = await fetchJson(config.registration_endpoint, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(registrationRequest(deps.publicUrl, config, institutionId)),
  });
  if (!regRes.ok) {
    throw new LtiError(
      regRes.status === 401 || regRes.status === 403 ? 401 : 502,
      'registration_refused',
      `The platform refused the registration (HTTP ${regRes.status}); the registration token may be invalid or expired.`,
    );
  }
  const reg = registrationResponseSchema.safeParse(regRes.body);
  if (!reg.success)
    throw new LtiError(
      502,
      'registration_response_invalid',
      "The platform's registration answer lacks a client_id.",
    );
  const deploymentId = reg.data[TOOL_CONFIGURATION]?.deployment_id;

  const fields = {
    authLoginUrl: config.authorization_endpoint,
    tokenUrl: config.token_endpoint,
    tokenAudience: config.authorization_server ?? '',
    jwksUrl: config.jwks_uri,
    productFamily: config[PLATFORM_CONFIGURATION]?.product_family_code ?? '',
    scopes: (reg.data.scope ?? '').split(' ').filter(Boolean),
    // The registration just sent named the institution's JWKS, so the LMS now trusts its keys.
    toolKeyScope: institutionId,
  };
  const filter = { issuer: config.issuer, clientId: reg.data.client_id, institutionId };
  const existing = await LtiPlatform.findOneAndUpdate(
    filter,
    { $set: fields, ...(deploymentId ? { $addToSet: { deploymentIds: deploymentId } } : {}) },
    { returnDocument: 'after' },
  );
  const platform =
    existing ??
    (await LtiPlatform.create({
      ...filter,
      ...fields,
      name: new URL(config.issuer).host,
      deploymentIds: deploymentId ? [deploymentId] : [],
      status: 'active',
      registeredBy: 'dynamic',
    }).catch((err: unknown) => {
      // The same issuer and client id registered with another institution is not taken over by this link.
      if (onlyDuplicateKeys(err))
        throw new LtiError(
          409,
          'registration_other_institution',
          'This LMS is already registered with another institution of this Credbridge installation.',
        );
      throw err;
    }));
  await onSaved(platform._id, config.issuer);
  deps.logger.info(
    { component: 'lti', issuer: config.issuer, institutionId, updated: Boolean(existing) },
    existing ? 'lti platform registration updated' : 'lti platform registered',
  );
  const moodle = fields.productFamily === 'moodle';
  const lang = pickLanguage(req, res);
  const t = translator(lang);
  sendPage(
    res,
    200,
    t(existing ? 'registration.updatedTitle' : 'registration.savedTitle'),
    html`<p>${t('registration.saved', { issuer: config.issuer, clientId: reg.data.client_id })}</p>
      ${deploymentId ? html`<p>${t('deployments')}: <code>${deploymentId}</code></p>` : ''}
      <p>${t(moodle ? 'registration.moodleActivate' : 'registration.enable')}</p>
      <p>${t('registration.close')}</p>`,
    {
      lang,
      frameAncestors: [configUrl],
      allowOpener: true,
      script: "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');",
    },
  );
}

/** The platform's answer as JSON; a refused address, a network failure or a timeout all read the same. */
export async function fetchJson(
  url: string,
  init: RequestInit,
): Promise<{ ok: boolean; status: number; body: unknown }> {
  try {
    const res = await outboundFetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await res.json().catch(() => undefined);
    return { ok: res.ok, status: res.status, body };
  } catch {
    throw new LtiError(
      502,
      'platform_unreachable',
      `The platform at ${new URL(url).host} could not be reached.`,
    );
  }
}
