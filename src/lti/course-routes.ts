import { Router, json } from 'express';
import { z } from 'zod';
import { PATHS } from './constants.js';
import type { LtiDeps } from './deps.js';
import { LtiError, LtiServiceError } from './errors.js';
import { escapeHtml, sendPage } from './html.js';
import { wrap } from './launch.js';
import { LtiPlatform, type SessionDoc } from './models.js';
import { platformServices, requireCourse, requireCsrf } from './course-access.js';

/**
 * Course pages and course APIs behind the launch session. A session belongs to one platform, deployment and
 * course; every route below checks the course in the URL against it and reads the course with all three
 * keys, so an instructor of one course reaches nothing of another course or platform.
 */
export function courseRouter(deps: LtiDeps): Router {
  const router = Router();

  const courseFor = requireCourse;
  const servicesFor = (session: SessionDoc) => platformServices(session.platformId, deps.serviceTokens);

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
      requireCsrf(req, session);
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
