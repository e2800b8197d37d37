import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Router, urlencoded } from 'express';
import { SignJWT } from 'jose';
import { CLAIM, PATHS } from './constants.js';
import type { LtiDeps } from './deps.js';
import { LtiError } from './errors.js';
import { sendAutoPost } from './html.js';
import { wrap } from './launch.js';
import { LtiPlatform } from './models.js';
import { LaunchSession, type LaunchSessionDoc as SessionDoc } from '../web/sessions.js';

/**
 * Deep linking (LTI Deep Linking 2.0): after an LtiDeepLinkingRequest launch the instructor picks a published
 * template (the picker is a screen: src/ui/deep-link-routes.ts); the tool answers the platform with a signed
 * LtiDeepLinkingResponse holding one ltiResourceLink (optionally with a line item), auto-posted to
 * deep_link_return_url. The request settings live in the session and serve one response.
 */
export function deepLinkingRouter(deps: LtiDeps): Router {
  const router = Router();

  router.post(
    PATHS.deepLink,
    urlencoded({ extended: false, limit: '16kb' }),
    wrap(deps, async (req, res) => {
      const session = requireDeepLinking(req.ltiSession);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body.csrf !== 'string' || !safeEqual(body.csrf, session.csrfToken)) {
        throw new LtiError(
          403,
          'csrf_mismatch',
          'This form has expired; launch the tool again from your course.',
        );
      }
      const platform = await LtiPlatform.findOne({ _id: session.platformId, status: 'active' });
      if (!platform) throw new LtiError(403, 'platform_inactive', 'This platform is not active.');
      const dl = session.deepLinking!;
      const items: Record<string, unknown>[] = [];
      if (body.action !== 'cancel') {
        const templates = await deps.templates.listPublishedTemplates({
          institutionId: session.institutionId,
        });
        const template = templates.find((t) => t.id === body.templateId);
        if (!template)
          throw new LtiError(400, 'unknown_template', 'Choose one of the published credential templates.');
        if (dl.acceptTypes.length && !dl.acceptTypes.includes('ltiResourceLink')) {
          throw new LtiError(
            400,
            'link_not_accepted',
            'This place in the course does not accept tool links.',
          );
        }
        items.push({
          type: 'ltiResourceLink',
          title: template.name,
          ...(template.description ? { text: template.description } : {}),
          url: deps.publicUrl + PATHS.launch,
          custom: { credbridge_template_id: template.id },
          ...(body.lineItem === '1' && dl.acceptLineItem
            ? {
                lineItem: {
                  label: template.name,
                  scoreMaximum: 100,
                  resourceId: template.id,
                  tag: 'credbridge',
                },
              }
            : {}),
        });
      }
      // Single use: the settings go before the response does, so a resubmitted form cannot place a second link.
      const consumed = await LaunchSession.findOneAndUpdate(
        { _id: session._id, deepLinking: { $exists: true } },
        { $unset: { deepLinking: 1 } },
      );
      if (!consumed)
        throw new LtiError(409, 'deep_link_used', 'This selection was already sent to the course.');

      const { kid, privateKey } = await deps.toolKeys.signingKey(platform.toolKeyScope);
      const jwt = await new SignJWT({
        nonce: randomUUID(),
        [CLAIM.deploymentId]: session.deploymentId,
        [CLAIM.messageType]: 'LtiDeepLinkingResponse',
        [CLAIM.version]: '1.3.0',
        [CLAIM.contentItems]: items,
        ...(dl.data !== undefined && dl.data !== null ? { [CLAIM.dlData]: dl.data } : {}),
        ...(items.length ? { [CLAIM.dlMsg]: `Added ${items.length} credential link` } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(platform.clientId)
        .setAudience(platform.issuer)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      deps.logger.info(
        { component: 'lti', platformId: platform.id, items: items.length },
        'lti deep-linking response sent',
      );
      sendAutoPost(
        req,
        res,
        dl.returnUrl,
        { JWT: jwt },
        { frameAncestors: [platform.issuer, platform.authLoginUrl] },
      );
    }),
  );
  return router;
}

/** The session of a deep-linking launch by an instructor, or the error that says why not. */
export function requireDeepLinking(session: SessionDoc | undefined): SessionDoc {
  if (!session)
    throw new LtiError(401, 'no_session', 'Your session has ended; launch the tool again from your course.');
  if (session.role === 'learner')
    throw new LtiError(403, 'not_instructor', 'Only instructors can add credentials to a course.');
  if (!session.deepLinking)
    throw new LtiError(
      400,
      'no_deep_linking',
      'There is no content selection in progress; start it again from your course.',
    );
  return session;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
