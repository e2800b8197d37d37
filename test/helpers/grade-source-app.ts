import { randomBytes } from 'node:crypto';
import express from 'express';
import { gradeSourceRouter } from '../../src/web/routes/grade-sources.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { errorHandler, notFound } from '../../src/web/errors.js';
import { captureLikeCourse, MoodleWsSimulator, type MoodleSimCourse } from '../simulator/moodle-ws.js';
import { silentLogger } from './env.js';

/**
 * The grade-source routes (admin API and instructor options) on their own, with a Moodle Web Services
 * simulator whose course (id 2, as recorded from Moodle 4.5) has Sam Student (user 4) graded 85 and 10, and a
 * platform of institution `grades-u` on the simulator's host (its issuer the simulator's URL and `issuerPath`).
 */
export async function gradeSourceApp(
  adminToken: string,
  platform: { clientId: string; issuerPath?: string },
): Promise<{ sim: MoodleWsSimulator; course: MoodleSimCourse; app: express.Express; platformId: string }> {
  const sim = await new MoodleWsSimulator().start();
  const course = captureLikeCourse(sim);
  course.users.set(4, {
    id: 4,
    firstname: 'Sam',
    lastname: 'Student',
    email: 's@example.com',
    role: 'student',
  });
  course.grades.set(
    4,
    new Map([
      [7, 85],
      [8, 10],
    ]),
  );
  const app = express();
  app.use(express.json());
  app.use(gradeSourceRouter({ adminToken, encryptionKey: randomBytes(32) }));
  app.use(notFound);
  app.use(errorHandler(silentLogger()));
  const created = await LtiPlatform.create({
    institutionId: 'grades-u',
    toolKeyScope: 'grades-u',
    issuer: `${sim.url}${platform.issuerPath ?? ''}`,
    clientId: platform.clientId,
    authLoginUrl: `${sim.url}/auth`,
    tokenUrl: `${sim.url}/token`,
    jwksUrl: `${sim.url}/certs`,
    registeredBy: 'manual',
  });
  return { sim, course, app, platformId: String(created._id) };
}
