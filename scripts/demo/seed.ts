import { readFile } from 'node:fs/promises';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import '../../src/db/models/index.js';
import { createInstitution, findInstitution } from '../../src/institutions/institutions.js';
import { textIn } from '../../src/i18n/languages.js';
import { activeSeal, createTestSeal } from '../../src/seals/seals.js';
import { adoptLegacyRecords } from '../../src/institutions/legacy-adoption.js';
import { createLogger } from '../../src/log/logger.js';
import { createRegistrationLink, registrationUrl } from '../../src/lti/registration-links.js';
import { findPublishedTemplate, importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import type { Organisation } from '../../src/templates/schema.js';
import type { Multilingual } from '../../src/i18n/languages.js';
import { generatedBadgeDataUri } from '../../src/badges/generated-badge.js';
import { brandingOf } from '../../src/institutions/branding.js';
import { createAdminUser, findAccount } from '../../src/accounts/accounts.js';
import { Browser, readForm } from '../../test/simulator/browser.js';
import type { PlatformSimulator } from '../../test/simulator/platform.js';
import {
  DEMO_ADMIN,
  DEMO_COURSE,
  DEMO_INSTRUCTOR,
  DEMO_ISSUER_ID,
  DEMO_LEARNERS,
  DEMO_TEMPLATE_FILE,
  PROJECT,
  QUIZ,
} from './data.js';

/**
 * The demo's seed, each step skipped when a reused data folder already holds its result. The institution
 * (its issuer, a console administrator) and the published example template go in as the README's production
 * steps make them (the same functions as `credbridge institution create` and `credbridge template import`);
 * everything on the LMS side goes through LTI over HTTP, registered through one of the institution's
 * registration links, as in a real installation.
 */

export async function seedInstitution(options: {
  mongodbUri: string;
  publicUrl: string;
  kek: Buffer;
  adminPassword: string;
  log: (line: string) => void;
}): Promise<{ templateKey: string }> {
  const template = JSON.parse(await readFile(DEMO_TEMPLATE_FILE, 'utf8')) as {
    key: string;
    title: Multilingual;
    awardingBodies: Organisation[];
    badgeImage?: { dataUri: string };
  };
  await connectDatabase(options.mongodbUri, createLogger('demo', 'silent'));
  try {
    await adoptLegacyRecords(createLogger('demo', 'silent')); // a data folder from before institutions
    if (!(await findInstitution(DEMO_ISSUER_ID))) {
      await createInstitution(
        {
          id: DEMO_ISSUER_ID,
          profile: template.awardingBodies[0]!,
          rootDid: true,
          settings: { ltiAdminsAreAdmins: true },
        },
        { publicUrl: options.publicUrl, kek: options.kek },
      );
      options.log(`created the institution "${DEMO_ISSUER_ID}" (its issuer at the root did:web)`);
    }
    if (!(await findAccount(DEMO_ADMIN))) {
      await createAdminUser(DEMO_ADMIN, options.adminPassword, DEMO_ISSUER_ID);
      options.log(`created the console administrator "${DEMO_ADMIN}" of ${DEMO_ISSUER_ID}`);
    }
    if (!(await findPublishedTemplate(DEMO_ISSUER_ID, template.key))) {
      // The badge made from the institution's branding, as an administrator makes it on the template's page.
      template.badgeImage = {
        dataUri: await generatedBadgeDataUri({
          title: textIn(template.title, 'en') ?? template.key,
          ribbon: (await findInstitution(DEMO_ISSUER_ID))?.name,
          ...(await brandingOf(DEMO_ISSUER_ID)),
        }),
      };
      const draft = await importTemplate(DEMO_ISSUER_ID, template);
      await publishTemplate(DEMO_ISSUER_ID, draft.key, draft.version);
      options.log(`imported and published the template ${DEMO_TEMPLATE_FILE}`);
    }
    if (!(await activeSeal(DEMO_ISSUER_ID))) {
      // The European credentials come out sealed as for Europass, with a seal every screen labels as a test one.
      await createTestSeal(
        DEMO_ISSUER_ID,
        textIn(template.awardingBodies[0]!.legalName, 'en') ?? 'Demo',
        options.kek,
      );
      options.log(`made a test seal for ${DEMO_ISSUER_ID} (not qualified: Europass would refuse it)`);
    }
  } finally {
    await disconnectDatabase();
  }
  return { templateKey: template.key };
}

/** A registration link of the institution, made as its administrator would in the console. */
export async function registrationLink(mongodbUri: string, toolUrl: string): Promise<string> {
  await connectDatabase(mongodbUri, createLogger('demo', 'silent'));
  try {
    return registrationUrl(
      toolUrl,
      (await createRegistrationLink(DEMO_ISSUER_ID, `admin:${DEMO_ADMIN}`, 'demo LMS')).token,
    );
  } finally {
    await disconnectDatabase();
  }
}

/** Dynamic registration through the link as a Moodle admin starts it, then "Activate" on the Pending tool. */
export async function registerTool(sim: PlatformSimulator, link: string): Promise<string> {
  const page = await new Browser().get(await sim.registrationUrl(link));
  if (page.status !== 200) throw new Error(`dynamic registration failed (${page.status}): ${page.body}`);
  const tool = [...sim.tools.values()].at(-1)!;
  sim.activateTool(tool.clientId);
  return tool.clientId;
}

/** The course, its people and their grades in the LMS; line items in the same order, so ids stay stable. */
export function seedCourse(sim: PlatformSimulator, clientId: string) {
  sim.addCourse(DEMO_COURSE.id, DEMO_COURSE.title, DEMO_COURSE.label);
  sim.addUser(DEMO_INSTRUCTOR.id, DEMO_INSTRUCTOR.name);
  sim.enrol(DEMO_COURSE.id, DEMO_INSTRUCTOR.id, 'Instructor');
  const quiz = sim.addLineItem(DEMO_COURSE.id, QUIZ.label, { clientId, scoreMaximum: QUIZ.scoreMaximum });
  const project = sim.addLineItem(DEMO_COURSE.id, PROJECT.label, {
    clientId,
    scoreMaximum: PROJECT.scoreMaximum,
  });
  for (const learner of DEMO_LEARNERS) {
    sim.addUser(learner.id, learner.name);
    sim.enrol(DEMO_COURSE.id, learner.id, 'Learner');
    sim.grade(quiz.id, learner.id, learner.quiz);
    sim.grade(project.id, learner.id, learner.project);
  }
  const typeId = sim.tool(clientId).typeId;
  const itemUrl = (id: number) =>
    `${sim.url}/mod/lti/services.php/${DEMO_COURSE.id}/lineitems/${id}/lineitem?type_id=${typeId}`;
  return { quizUrl: itemUrl(quiz.id), projectUrl: itemUrl(project.id) };
}

export interface InstructorSession {
  browser: Browser;
  courseApi: string;
  csrf: string;
}

/** Opens the tool as the instructor through the simulator's "Launch as" link, as a person would. */
export async function launchAsInstructor(
  sim: PlatformSimulator,
  toolUrl: string,
): Promise<InstructorSession> {
  const browser = new Browser();
  const auth = await browser.get(`${sim.url}/launch?course=${DEMO_COURSE.id}&user=${DEMO_INSTRUCTOR.id}`);
  const page = await browser.post(readForm(auth).action, readForm(auth).fields);
  const courseId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(page.url)?.[1];
  const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1];
  if (!courseId || !csrf) throw new Error(`the instructor launch failed (${page.status}): ${page.url}`);
  return { browser, courseApi: `${toolUrl}/lti/api/courses/${courseId}`, csrf };
}

export async function courseApi(
  session: InstructorSession,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${session.courseApi}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      cookie: [...session.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      accept: 'application/json',
      'x-csrf-token': session.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Enables the template in the course with the demo's rule, unless it already is; returns the binding id. */
export async function enableTemplate(
  session: InstructorSession,
  templateKey: string,
  items: { quizUrl: string; projectUrl: string },
): Promise<{ bindingId: string; created: boolean }> {
  const list = await courseApi(session, '/bindings');
  const existing = (list.body.bindings as { _id: string; templateId?: string }[] | undefined)?.find(
    (b) => b.templateId === templateKey,
  );
  if (existing) return { bindingId: String(existing._id), created: false };
  const threshold = (value: number) => ({ unit: 'percent', value });
  const created = await courseApi(session, '/bindings', {
    templateKey,
    rule: {
      outcomes: [
        {
          outcome: 0,
          evidence: [{ kind: 'assessment', itemId: items.quizUrl, threshold: threshold(QUIZ.passPercent) }],
        },
        {
          outcome: 1,
          evidence: [
            { kind: 'assessment', itemId: items.projectUrl, threshold: threshold(PROJECT.passPercent) },
          ],
        },
      ],
    },
  });
  if (created.status !== 201)
    throw new Error(`enabling the template failed (${created.status}): ${JSON.stringify(created.body)}`);
  return { bindingId: String(created.body._id), created: true };
}
