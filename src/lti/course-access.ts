import type { Request } from 'express';
import { isValidObjectId } from 'mongoose';
import { AgsClient } from './ags.js';
import { LtiError } from './errors.js';
import { LtiCourse, LtiPlatform } from './models.js';
import type { LaunchSessionDoc as SessionDoc } from '../web/sessions.js';
import { sameToken } from '../web/csrf.js';
import { NrpsClient } from './nrps.js';
import { ServiceClient } from './service-client.js';
import type { ServiceTokens } from './service-token.js';

/**
 * The course named in the URL (`:courseId`), if and only if it is the course this session launched from.
 * The course is read with platform and deployment too, so an instructor of one course reaches nothing of
 * another course or platform. `staffOnly` refuses learners.
 */
export async function requireCourse(req: Request, staffOnly: boolean) {
  const session = req.ltiSession;
  if (!session)
    throw new LtiError(401, 'no_session', 'Your session has ended; launch the tool again from your course.');
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
}

/** Cookies go along cross-site (SameSite=None), so every write also needs the session's CSRF token. */
export function requireCsrf(req: Request, session: SessionDoc): void {
  if (!sameToken(req.get('x-csrf-token'), session.csrfToken))
    throw new LtiError(403, 'csrf_mismatch', 'Missing or wrong X-CSRF-Token.');
}

/** AGS and NRPS clients for the session's platform, which must be active. */
export async function platformServices(platformId: unknown, tokens: ServiceTokens) {
  const platform = await LtiPlatform.findOne({ _id: platformId, status: 'active' });
  if (!platform) throw new LtiError(403, 'platform_inactive', 'This platform is not active.');
  const client = new ServiceClient(platform, tokens);
  return { ags: new AgsClient(client), nrps: new NrpsClient(client) };
}
