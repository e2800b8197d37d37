import { Router, type RequestHandler } from 'express';
import { isValidObjectId } from 'mongoose';
import { z } from 'zod';
import { LtiPlatform } from '../../lti/models.js';
import { loadSessions } from '../sessions.js';
import { requireCourse } from '../../lti/course-access.js';
import { HttpError } from '../errors.js';
import { requireAdminToken } from './admin-token.js';
import {
  lmsConnectionInput,
  lmsConnectionView,
  LmsConnection,
  saveLmsConnection,
} from '../../grades/lms-connection-model.js';
import { lmsGradeSource, testLmsConnection, type LmsClientSettings } from '../../grades/lms-sources.js';

const invalid = (err: z.ZodError, what: string) =>
  new HttpError(
    400,
    'invalid_input',
    `Invalid ${what}: ${err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );

const wrap =
  (fn: (...args: Parameters<RequestHandler>) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

/**
 * Admin API for a platform's LMS API connection (Bearer ADMIN_API_TOKEN, like the platform admin API):
 *   PUT    /api/admin/lti/platforms/:id/lms-connection        {kind, baseUrl, token}
 *   GET    /api/admin/lti/platforms/:id/lms-connection        (never the token)
 *   DELETE /api/admin/lti/platforms/:id/lms-connection
 *   POST   /api/admin/lti/platforms/:id/lms-connection/test   {courseId}: what the token may and may not read
 * and, behind the launch session, what a course's LMS offers to map:
 *   GET    /lti/api/courses/:courseId/grade-options
 */
export function gradeSourceRouter(options: {
  adminToken?: string;
  encryptionKey?: Buffer;
  settings?: LmsClientSettings;
}): Router {
  const router = Router();
  const { adminToken, encryptionKey: key, settings } = options;

  const adminOnly = requireAdminToken(adminToken);
  const guard: RequestHandler = (req, res, next) => {
    if (!key)
      return next(new HttpError(503, 'lti_not_configured', 'Set KEY_ENCRYPTION_KEY to store LMS tokens'));
    adminOnly(req, res, next);
  };
  const platformOf = async (id: string) => {
    const platform = isValidObjectId(id) ? await LtiPlatform.findById(id) : null;
    if (!platform) throw new HttpError(404, 'not_found', 'No such platform');
    return String(platform._id);
  };
  const base = '/api/admin/lti/platforms/:id/lms-connection';

  router.put(
    base,
    guard,
    wrap(async (req, res) => {
      const platformId = await platformOf(String(req.params.id));
      const input = lmsConnectionInput.safeParse(req.body ?? {});
      if (!input.success) throw invalid(input.error, 'LMS connection');
      res.json(lmsConnectionView(await saveLmsConnection(key!, platformId, input.data)));
    }),
  );
  router.get(
    base,
    guard,
    wrap(async (req, res) => {
      const platformId = await platformOf(String(req.params.id));
      const doc = await LmsConnection.findOne({ platformId });
      if (!doc) throw new HttpError(404, 'not_found', 'No LMS connection is set for this platform');
      res.json(lmsConnectionView(doc));
    }),
  );
  router.delete(
    base,
    guard,
    wrap(async (req, res) => {
      const platformId = await platformOf(String(req.params.id));
      await LmsConnection.deleteOne({ platformId });
      res.status(204).end();
    }),
  );
  const testInput = z.strictObject({
    courseId: z
      .string()
      .trim()
      .regex(/^\d+$/, 'the LMS course id: Moodle course id or Canvas course id (digits)'),
  });
  router.post(
    `${base}/test`,
    guard,
    wrap(async (req, res) => {
      const platformId = await platformOf(String(req.params.id));
      const input = testInput.safeParse(req.body ?? {});
      if (!input.success) throw invalid(input.error, 'test request');
      const report = await testLmsConnection(key!, platformId, input.data.courseId, settings);
      if (!report) throw new HttpError(404, 'not_found', 'No LMS connection is set for this platform');
      res.json(report);
    }),
  );

  router.get(
    '/lti/api/courses/:courseId/grade-options',
    loadSessions,
    wrap(async (req, res) => {
      const { course } = await requireCourse(req, true);
      if (!key) throw new HttpError(503, 'lti_not_configured', 'Set KEY_ENCRYPTION_KEY to read the LMS');
      const source = await lmsGradeSource(
        key,
        {
          platformId: String(course.platformId),
          deploymentId: course.deploymentId,
          contextId: course.contextId,
        },
        undefined,
        settings,
      );
      const { options, problems } = await source.options();
      res.json({ source: source.kind, options, problems });
    }),
  );
  return router;
}
