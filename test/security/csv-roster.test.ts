import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import {
  createTestInstitution,
  publishExampleTemplate,
  registerThroughLink,
} from '../helpers/institution.js';
import { enableManualBinding, launchInstructor } from '../helpers/lti.js';
import { startSmtpServer, type ReceivedMail } from '../helpers/smtp.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { PlatformSimulator } from '../simulator/platform.js';
import { until } from '../helpers/wait.js';

/**
 * An instructor of one course tries to read every credential a learner of the same LMS holds (other courses
 * included) by importing a CSV to a manual-source binding with that learner's LMS id and the instructor's own
 * e-mail address: the credential e-mail would carry the learner's signed "my credentials" link. Results are
 * imported only for learners the course's roster lists, under the LMS's name and address, so it is refused
 * and nothing reaches the instructor.
 */
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let smtp: { url: string; mails: ReceivedMail[]; stop(): Promise<void> };
let clientId: string;
let templateKey: string;

beforeAll(async () => {
  smtp = await startSmtpServer();
  tool = await startTool({ SMTP_URL: smtp.url, ISSUE_BACKOFF_MS: '200', RATE_LIMIT_DISABLED: 'true' });
  sim = await new PlatformSimulator().start();
  const { institutionId } = await createTestInstitution(tool);
  ({ clientId } = await registerThroughLink(sim, tool.url, institutionId));
  templateKey = await publishExampleTemplate(institutionId);
  sim.addUser('3', 'Victim Course Teacher');
  sim.addUser('8', 'Curious Teacher');
  sim.addCourse('2', 'Medicine 101');
  sim.addCourse('9', 'Unrelated course');
  sim.enrol('2', '3', 'Instructor');
  sim.enrol('9', '8', 'Instructor');
  sim.addUser('41', 'Vera Victim');
  sim.enrol('2', '41', 'Learner');
  await tool.startWorker();
}, 180_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
  await smtp?.stop();
});

it("an instructor of another course cannot get a learner's 'my credentials' link by CSV", async () => {
  // Vera earns a credential in course 2 (a manual award by her own teacher, after a sync read the roster).
  const own = await launchInstructor(sim, clientId, '3', '2');
  const ownBindings = `/lti/api/courses/${own.courseUrlId}/bindings`;
  const rule = { outcomes: [{ outcome: 0, evidence: [{ kind: 'courseCompletion' }] }] };
  const b2 = await own.api(tool.url, ownBindings, { method: 'POST', body: { templateKey, rule } });
  expect(b2.status).toBe(201);
  await until(
    async () =>
      (await (
        await import('../../src/issuance/request-model.js')
      ).GradeSnapshot.exists({
        bindingId: String(b2.body._id),
        learnerId: '41',
      })) ?? undefined,
    'the course 2 roster',
  );
  const award = await own.api(tool.url, `${ownBindings}/${String(b2.body._id)}/awards`, {
    method: 'POST',
    body: { learnerId: '41', reason: 'Passed the practical exam' },
  });
  expect(award.status).toBe(202);
  const victimCredential = String(award.body.requestId);
  await until(
    async () =>
      (await IssuanceRequest.exists({ _id: victimCredential, state: 'issued' })) ? true : undefined,
    "Vera's credential",
  );

  // The teacher of course 9, where Vera is not enrolled, imports a CSV naming her LMS id and their own address.
  const spy = await launchInstructor(sim, clientId, '8', '9');
  const b9 = await enableManualBinding(spy, tool.url, templateKey, { itemId: 'X', percent: 1 });
  const imported = await spy.api(tool.url, `${b9.path}/results`, {
    method: 'POST',
    csv: 'learner_id,name,email,item,score,max\r\n41,Vera Victim,spy@attacker.example,X,1,1\r\n',
  });
  expect(imported.status).toBe(400);
  expect(JSON.stringify(imported.body)).toContain(
    'line 2: learner_id \\"41\\" is not a learner of this course',
  );
  await new Promise((r) => setTimeout(r, 2000));
  expect(smtp.mails.some((m) => m.recipients.includes('spy@attacker.example'))).toBe(false);
  expect(await IssuanceRequest.exists({ bindingId: b9.bindingId })).toBeNull();
  // Vera's own e-mail went to the address her LMS gave, and only there.
  expect(smtp.mails.flatMap((m) => m.recipients)).toEqual(['user41@example.com']);
}, 120_000);
