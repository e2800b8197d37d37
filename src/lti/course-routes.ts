import { Router, json } from 'express';
import { z } from 'zod';
import type { LtiDeps } from './deps.js';
import { LtiError, platformServiceError } from './errors.js';
import { wrap } from './launch.js';
import type { LaunchSessionDoc as SessionDoc } from '../web/sessions.js';
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
      const members = await nrps.listMembers(course.membershipsUrl).catch(platformServiceError);
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
      res.json({ lineItems: await ags.listLineItems(course.lineItemsUrl).catch(platformServiceError) });
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
      res
        .status(201)
        .json(await ags.createLineItem(course.lineItemsUrl, input.data).catch(platformServiceError));
    }),
  );

  return router;
}
