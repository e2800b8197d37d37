import { timingSafeEqual } from 'node:crypto';
import { Router, json, type Request } from 'express';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { AgsClient } from './ags.js';
import { PATHS } from './constants.js';
import type { LtiDeps } from './deps.js';
import { LtiError, LtiServiceError } from './errors.js';
import { escapeHtml, sendPage } from './html.js';
import { wrap } from './launch.js';
import { LtiCourse, LtiPlatform, type SessionDoc } from './models.js';
import { NrpsClient } from './nrps.js';
import { ServiceClient } from './service-client.js';

/**
 * Course pages and course APIs behind the launch session. A session belongs to one platform, deployment and
 * course; every route below checks the course in the URL against it and reads the course with all three
 * keys, so an instructor of one course reaches nothing of another course or platform.
 */
export function courseRouter(deps: LtiDeps): Router {
  const router = Router();

  const courseFor = async (req: Request, staffOnly: boolean) => {
    const session = req.ltiSession;
    if (!session)
      throw new LtiError(
        401,
        'no_session',
        'Your session has ended; launch the tool again from your course.',
      );
    const courseId = String(req.params.courseId);
    if (!isValidObjectId(courseId) || !session.courseId || String(session.courseId) !== courseId) {
      throw new LtiError(403, 'other_course', 'This course is not the one you launched from.');
    }
    if (staffOnly && session.role === 'learner')
      throw new LtiError(403, 'not_instructor', 'Only instructors can do this.');
    const course = await LtiCourse.findOne({
      _id: courseId,
      platformId: session.platformId,
      deploymentId: session.deploymentId,
    });
    if (!course) throw new LtiError(403, 'other_course', 'This course is not the one you launched from.');
    return { session, course };
  };

  const servicesFor = async (session: SessionDoc) => {
    const platform = await LtiPlatform.findOne({ _id: session.platformId, status: 'active' });
    if (!platform) throw new LtiError(403, 'platform_inactive', 'This platform is not active.');
    const client = new ServiceClient(platform, deps.serviceTokens);
    return { ags: new AgsClient(client), nrps: new NrpsClient(client) };
  };

  const serviceError = (err: unknown): never => {
    if (err instanceof LtiServiceError)
      throw new LtiError(502, 'platform_service_error', `The LMS answered ${err.status}: ${err.reason}`);
    throw err;
  };

  router.get(
    '/lti/courses/:courseId',
    wrap(deps, async (req, res) => {
      const { session, course } = await courseFor(req, true);
      const platform = await LtiPlatform.findById(session.platformId);
      sendPage(
        res,
        200,
        `Credentials for ${course.title || course.label || 'this course'}`,
        `<p>Signed in as ${escapeHtml(session.name || session.userId)} (${escapeHtml(session.role)}).</p>` +
          `<div hidden id="session" data-csrf="${escapeHtml(session.csrfToken)}"></div>` +
          `<p data-course-id="${escapeHtml(course.id)}">Course dashboard: templates, rules and issued credentials appear here.</p>`,
        { frameAncestors: platform ? [platform.issuer, platform.authLoginUrl] : [] },
      );
    }),
  );

  router.get(
    PATHS.learnerCredentials,
    wrap(deps, async (req, res) => {
      const session = req.ltiSession;
      if (!session)
        throw new LtiError(
          401,
          'no_session',
          'Your session has ended; launch the tool again from your course.',
        );
      const platform = await LtiPlatform.findById(session.platformId);
      sendPage(
        res,
        200,
        'My credentials',
        `<p>Signed in as ${escapeHtml(session.name || session.userId)}.</p><p>Your credentials appear here once you earn them.</p>`,
        { frameAncestors: platform ? [platform.issuer, platform.authLoginUrl] : [] },
      );
    }),
  );

  router.get(
    '/lti/api/courses/:courseId',
    wrap(deps, async (req, res) => {
      const { session, course } = await courseFor(req, false);
      res.json({ id: course.id, title: course.title, label: course.label, role: session.role });
    }),
  );

  router.get(
    '/lti/api/courses/:courseId/members',
    wrap(deps, async (req, res) => {
      const { session, course } = await courseFor(req, true);
      if (!course.membershipsUrl)
        throw new LtiError(409, 'no_roster_service', 'The LMS offers no roster service for this course.');
      const { nrps } = await servicesFor(session);
      const members = await nrps.listMembers(course.membershipsUrl).catch(serviceError);
      res.json({ members });
    }),
  );

  router.get(
    '/lti/api/courses/:courseId/line-items',
    wrap(deps, async (req, res) => {
      const { session, course } = await courseFor(req, true);
      if (!course.lineItemsUrl)
        throw new LtiError(409, 'no_grade_service', 'The LMS offers no grade service for this course.');
      const { ags } = await servicesFor(session);
      res.json({ lineItems: await ags.listLineItems(course.lineItemsUrl).catch(serviceError) });
    }),
  );

  const newLineItem = z.strictObject({
    label: z.string().min(1).max(200),
    scoreMaximum: z.number().positive(),
    tag: z.string().max(100).optional(),
  });
  router.post(
    '/lti/api/courses/:courseId/line-items',
    json({ limit: '16kb' }),
    wrap(deps, async (req, res) => {
      const { session, course } = await courseFor(req, true);
      // Cookies go along cross-site (SameSite=None), so writes also need the session's CSRF token.
      const csrf = req.get('x-csrf-token') ?? '';
      if (
        csrf.length !== session.csrfToken.length ||
        !timingSafeEqual(Buffer.from(csrf), Buffer.from(session.csrfToken))
      ) {
        throw new LtiError(403, 'csrf_mismatch', 'Missing or wrong X-CSRF-Token.');
      }
      const input = newLineItem.safeParse(req.body);
      if (!input.success)
        throw new LtiError(400, 'invalid_input', 'A line item needs a label and a positive scoreMaximum.');
      if (!course.lineItemsUrl)
        throw new LtiError(409, 'no_grade_service', 'The LMS offers no grade service for this course.');
      const { ags } = await servicesFor(session);
      res.status(201).json(await ags.createLineItem(course.lineItemsUrl, input.data).catch(serviceError));
    }),
  );

  return router;
}
