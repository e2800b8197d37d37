import { Router, urlencoded, type Request, type Response } from 'express';
import type { Types } from 'mongoose';
import { CLAIM, PATHS } from './constants.js';
import type { LtiDeps } from './deps.js';
import { LtiError } from './errors.js';
import { sendError } from '../web/errors.js';
import { loggablePath } from '../log/paths.js';
import { verifyIdToken, type VerifiedLaunch } from './id-token.js';
import { LtiCourse, LtiLoginState, LtiPlatform, LtiResourceLink, type PlatformDoc } from './models.js';
import { findPlatformForLogin, originOf } from './platforms.js';
import { mapRoles } from './roles.js';
import { clearCookie, parseCookies, randomToken, setCookie } from '../web/cookies.js';
import { SESSION_COOKIES, startSession as startWebSession } from '../web/sessions.js';

/** The login step's state travels in a cookie of its own, one per login in flight. */
const STATE_COOKIE_PREFIX = 'credbridge_lti_state_';

const LOGIN_TTL_MS = 10 * 60_000;

/** OIDC third-party initiated login (LTI 1.3 core §5.1.1) and the launch it leads to. */
export function launchRouter(deps: LtiDeps): Router {
  const router = Router();
  const form = urlencoded({ extended: false, limit: '64kb' });

  const login = async (req: Request, res: Response) => {
    const p = { ...(req.query as Record<string, unknown>), ...((req.body ?? {}) as Record<string, unknown>) };
    const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
    const iss = str('iss');
    const loginHint = str('login_hint');
    const targetLinkUri = str('target_link_uri');
    if (!iss || !loginHint || !targetLinkUri) {
      throw new LtiError(400, 'invalid_login', 'The login request lacks iss, login_hint or target_link_uri.');
    }
    const platform = await findPlatformForLogin(iss, str('client_id'));
    if (!platform)
      throw new LtiError(400, 'unknown_platform', 'This platform is not registered with Credbridge.');
    if (platform.status !== 'active')
      throw new LtiError(403, 'platform_inactive', 'This platform is registered but not active.');
    const deploymentId = str('lti_deployment_id');
    if (deploymentId !== undefined && !platform.deploymentIds.includes(deploymentId)) {
      throw new LtiError(
        403,
        'unknown_deployment',
        'This deployment of the tool is not registered with Credbridge.',
      );
    }
    // Never redirect to a target outside this tool (open redirect through a crafted login).
    if (!sameOrigin(targetLinkUri, deps.publicUrl)) {
      throw new LtiError(400, 'invalid_target', 'The target_link_uri does not point to this tool.');
    }
    const state = randomToken();
    const nonce = randomToken();
    await LtiLoginState.create({
      state,
      nonce,
      platformId: platform._id,
      targetLinkUri,
      expiresAt: new Date(Date.now() + LOGIN_TTL_MS),
    });
    setCookie(res, deps.cookies, STATE_COOKIE_PREFIX + state, state, LOGIN_TTL_MS);
    const auth = new URL(platform.authLoginUrl);
    const params: Record<string, string | undefined> = {
      scope: 'openid',
      response_type: 'id_token',
      response_mode: 'form_post',
      prompt: 'none',
      client_id: platform.clientId,
      redirect_uri: deps.publicUrl + PATHS.launch,
      login_hint: loginHint,
      lti_message_hint: str('lti_message_hint'),
      state,
      nonce,
    };
    for (const [k, v] of Object.entries(params)) if (v !== undefined) auth.searchParams.set(k, v);
    res.redirect(302, auth.toString());
  };

  router.get(PATHS.login, wrap(deps, login));
  router.post(PATHS.login, form, wrap(deps, login));

  router.post(
    PATHS.launch,
    form,
    wrap(deps, async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body.error === 'string') {
        throw new LtiError(400, 'platform_error', `The platform refused the login: ${body.error}`);
      }
      const idToken = typeof body.id_token === 'string' ? body.id_token : undefined;
      const state = typeof body.state === 'string' ? body.state : undefined;
      if (!idToken || !state)
        throw new LtiError(400, 'invalid_launch', 'The launch lacks id_token or state.');
      const cookieState = parseCookies(req)[STATE_COOKIE_PREFIX + state];
      if (cookieState !== state) {
        throw new LtiError(
          401,
          'state_mismatch',
          'The launch state does not match this browser (missing or wrong state cookie).',
        );
      }
      // Consumed whatever follows: a state, and its nonce, serve exactly one launch.
      const login = await LtiLoginState.findOneAndDelete({ state, expiresAt: { $gt: new Date() } });
      clearCookie(res, deps.cookies, STATE_COOKIE_PREFIX + state);
      if (!login)
        throw new LtiError(
          401,
          'state_unknown',
          'The login for this launch has expired or was already used.',
        );
      const platform = await LtiPlatform.findById(login.platformId);
      if (!platform || platform.status !== 'active') {
        throw new LtiError(403, 'platform_inactive', 'This platform is not active.');
      }
      const launch = await verifyIdToken(idToken, platform, login.nonce, deps.platformJwks);
      const target = await startSession(deps, res, platform, launch);
      deps.logger.info(
        {
          component: 'lti',
          platformId: platform.id,
          deploymentId: launch.deploymentId,
          messageType: launch.messageType,
        },
        'lti launch accepted',
      );
      res.redirect(303, target);
    }),
  );
  return router;
}

/** Stores what the launch tells about the course and link, opens the session and says where to go. */
async function startSession(
  deps: LtiDeps,
  res: Response,
  platform: PlatformDoc,
  launch: VerifiedLaunch,
): Promise<string> {
  const { claims, deploymentId } = launch;
  const scope = { platformId: platform._id, deploymentId };
  const context = claims[CLAIM.context] as { id?: unknown; title?: unknown; label?: unknown } | undefined;
  const ags = claims[CLAIM.ags] as { lineitems?: unknown; lineitem?: unknown; scope?: unknown } | undefined;
  const nrps = claims[CLAIM.nrps] as { context_memberships_url?: unknown } | undefined;
  const role = mapRoles(
    Array.isArray(claims[CLAIM.roles]) ? (claims[CLAIM.roles] as unknown[]).filter(isString) : [],
  );

  await rememberServiceOrigins(platform, [ags?.lineitems, ags?.lineitem, nrps?.context_memberships_url]);

  let courseId: Types.ObjectId | undefined;
  let resourceLinkId = '';
  if (context && isString(context.id)) {
    const course = await LtiCourse.findOneAndUpdate(
      { ...scope, contextId: context.id },
      {
        $set: {
          title: isString(context.title) ? context.title : '',
          label: isString(context.label) ? context.label : '',
          ...(ags && isString(ags.lineitems) ? { lineItemsUrl: ags.lineitems } : {}),
          ...(ags && Array.isArray(ags.scope) ? { agsScopes: ags.scope.filter(isString) } : {}),
          ...(nrps && isString(nrps.context_memberships_url)
            ? { membershipsUrl: nrps.context_memberships_url }
            : {}),
        },
      },
      { upsert: true, returnDocument: 'after' },
    );
    courseId = course._id;
    const link = claims[CLAIM.resourceLink] as { id?: unknown; title?: unknown } | undefined;
    if (link && isString(link.id)) {
      resourceLinkId = link.id;
      const custom = (claims[CLAIM.custom] ?? {}) as Record<string, unknown>;
      await LtiResourceLink.findOneAndUpdate(
        { ...scope, resourceLinkId: link.id },
        {
          $set: {
            courseId: course._id,
            title: isString(link.title) ? link.title : '',
            ...(ags && isString(ags.lineitem) ? { lineItemUrl: ags.lineitem } : {}),
            ...(isString(custom.credbridge_template_id) ? { templateId: custom.credbridge_template_id } : {}),
          },
        },
        { upsert: true },
      );
    }
  }

  const dl = claims[CLAIM.deepLinkingSettings] as Record<string, unknown> | undefined;
  if (launch.messageType === 'LtiDeepLinkingRequest' && (!dl || !isString(dl.deep_link_return_url))) {
    throw new LtiError(400, 'invalid_deep_linking', 'The deep-linking request lacks deep_link_return_url.');
  }
  const presentation = (claims[CLAIM.launchPresentation] ?? {}) as Record<string, unknown>;
  const { token } = await startWebSession(
    'launch',
    {
      institutionId: platform.institutionId,
      ...scope,
      courseId,
      resourceLinkId,
      userId: claims.sub,
      role,
      name: isString(claims.name) ? claims.name : '',
      email: isString(claims.email) ? claims.email : '',
      locale: isString(presentation.locale) ? presentation.locale : '',
      deepLinking:
        launch.messageType === 'LtiDeepLinkingRequest' && dl
          ? {
              returnUrl: dl.deep_link_return_url as string,
              data: isString(dl.data) ? dl.data : undefined,
              acceptTypes: Array.isArray(dl.accept_types) ? dl.accept_types.filter(isString) : [],
              acceptLineItem: dl.accept_lineitem === true,
            }
          : undefined,
    },
    deps.sessionTtlMs,
  );
  setCookie(res, deps.cookies, SESSION_COOKIES.launch, token, deps.sessionTtlMs);
  if (deps.onLaunch) {
    await deps
      .onLaunch({
        platformId: String(platform._id),
        deploymentId,
        courseId: courseId ? String(courseId) : undefined,
        claims: claims as Record<string, unknown>,
      })
      .catch((err: Error) => deps.logger.warn({ component: 'lti', err: err.message }, 'launch hook failed'));
  }

  if (launch.messageType === 'LtiDeepLinkingRequest') {
    if (role === 'learner')
      throw new LtiError(403, 'not_instructor', 'Only instructors can add credentials to a course.');
    return PATHS.deepLink;
  }
  if (role !== 'learner' && courseId) return PATHS.courseDashboard(String(courseId));
  return PATHS.learnerCredentials;
}

/**
 * The service endpoints of a signed launch are the platform's word: their origins join those its access tokens
 * may go to (src/lti/service-client.ts). Written only when a new origin appears.
 */
async function rememberServiceOrigins(platform: PlatformDoc, urls: unknown[]): Promise<void> {
  const known = new Set(platform.serviceOrigins ?? []);
  const fresh = new Set<string>();
  for (const url of urls) {
    // Not an http(s) URL: the service call will fail on its own, with the platform named.
    const origin = isString(url) ? originOf(url) : '';
    if (/^https?:\/\//.test(origin) && !known.has(origin)) fresh.add(origin);
  }
  if (fresh.size)
    await LtiPlatform.updateOne(
      { _id: platform._id },
      { $addToSet: { serviceOrigins: { $each: [...fresh] } } },
    );
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/** Runs an LTI handler; a refusal becomes a clear page (or JSON for API callers) and a log line. */
export function wrap(deps: LtiDeps, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (err) {
      if (!(err instanceof LtiError)) throw err;
      deps.logger.warn(
        { component: 'lti', code: err.code, path: loggablePath(req.path) },
        `lti request refused: ${err.message}`,
      );
      if (res.headersSent) return;
      // Unlike the app's error handler, a client that states no preference gets the page: launches come
      // from browsers posting forms.
      const asJson = req.accepts(['html', 'json']) === 'json' || req.path.includes('/api/');
      sendError(req, res, err, !asJson);
    }
  };
}
