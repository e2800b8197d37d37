import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { createTestInstitution, publishExampleTemplate } from '../helpers/institution.js';
import type { RunningProcess } from '../helpers/processes.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';
import { PlatformSimulator } from '../simulator/platform.js';
import { screenshot, seriousViolations, startChromium, type Chromium } from './chromium.js';

/**
 * The Moodle 4.5 guide of docs/lti.md, walked in a real browser against the simulator (which answers as
 * Moodle 4.5 does): each step on the tool's side is checked, passes axe, and is photographed
 * (test-output/screenshots/guide-*.png; docs/images/guide-*.png are copies of them). The steps on Moodle's own
 * screens are Moodle's; the simulator stands in for them.
 */
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let browser: Chromium;
let worker: RunningProcess;
let clientId = '';
let templateKey = '';

async function step(page: Page, name: string): Promise<void> {
  const violations = await seriousViolations(page);
  expect({ page: name, violations }).toEqual({ page: name, violations: [] });
  await screenshot(page, name);
}

/** What Moodle does when someone opens the tool (a launch, or "Select content" for deep linking). */
async function open(page: Page, userId: string, messageType?: string, activity?: string): Promise<void> {
  const { url, params } = sim.loginRequest(clientId, userId, '2', messageType, activity);
  await page.goto(`${url}?${new URLSearchParams(params)}`);
}

beforeAll(async () => {
  tool = await startTool({ RECONCILE_INTERVAL_MS: '2000', ISSUE_BACKOFF_MS: '200' });
  sim = await new PlatformSimulator().start();
  const { institutionId } = await createTestInstitution(tool, { id: 'example-university' });
  templateKey = await publishExampleTemplate(institutionId);
  await createAdminUser('alice', 'correct horse battery staple', institutionId);
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
  sim.enrol('2', '3', 'Instructor');
  for (const [id, name] of [
    ['41', 'Ana Andromeda'],
    ['42', 'Bruno Costa'],
  ] as const) {
    sim.addUser(id, name);
    sim.enrol('2', id, 'Learner');
  }
  [worker, browser] = await Promise.all([tool.startWorker(), startChromium()]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.child.kill('SIGTERM');
  await tool?.close();
  await sim?.stop();
});

describe('the Moodle 4.5 guide, step by step', () => {
  it('an administrator makes a registration link, Moodle registers the tool with it, a teacher adds and sets up the credential, a learner gets it', async () => {
    const page = await browser.context.newPage();

    // 1. The institution's administrator makes a registration link in the console.
    await page.goto(`${tool.url}/admin/login`);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/admin\/platforms$/);
    await page.getByLabel('Label', { exact: false }).fill('Moodle of Example University');
    await page.getByRole('button', { name: 'Create a registration link' }).click();
    const link = await page.locator('#registration-link').inputValue();
    await step(page, 'guide-1-registration-link');

    // 2. Moodle's "Add LTI Advantage" opens the link in a panel: the tool registers and says so.
    await page.goto(await sim.registrationUrl(link));
    await page.getByText('Credbridge is registered').waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain('Activate');
    await step(page, 'guide-2-registered');
    clientId = [...sim.tools.values()].at(-1)!.clientId;
    sim.activateTool(clientId); // "Activate" on the tool's card in Moodle
    const quiz = sim.addLineItem('2', 'Quiz', { clientId, scoreMaximum: 100 });
    sim.grade(quiz.id, '41', 90);
    sim.grade(quiz.id, '42', 30);

    // 3. The teacher adds the activity: "Select content" opens the tool's picker (no grade column: Moodle 4.5
    //    takes none with the link).
    await open(page, '3', 'LtiDeepLinkingRequest');
    await page.waitForURL(/\/lti\/deep-link$/);
    await expect(page.locator('input[name="lineItem"]').count()).resolves.toBe(0);
    await step(page, 'guide-3-select-credential');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByText('Content added').waitFor();
    const activity = [...sim.activities.keys()].at(-1)!;
    expect(sim.activities.get(activity)?.custom).toEqual({ credbridge_template_id: templateKey });

    // 4. The teacher opens the new activity: the dashboard says what it was added for; the rule is set there.
    await open(page, '3', undefined, activity);
    await page.waitForURL(/\/lti\/courses\/[0-9a-f]{24}$/);
    await page.getByText('This activity was added for', { exact: false }).waitFor();
    await step(page, 'guide-4-set-rule');
    const form = page.locator('form.enable-form').first();
    await form.locator('select[data-outcome="0"]').selectOption({ label: 'Quiz' });
    await form.locator('input[name="threshold-0"]').fill('50');
    await form.getByRole('button', { name: 'Enable' }).click();
    await page.locator('section.binding').waitFor();

    // 5. The worker issues to who meets the rule; the teacher adds a column in Moodle's gradebook for it.
    await until(
      async () => ((await IssuanceRequest.countDocuments({ state: 'issued' })) === 1 ? true : undefined),
      'one credential issued',
    );
    await page.reload();
    await page.getByRole('button', { name: 'Add a column in the LMS gradebook' }).click();
    await page.getByText('Holders get full marks in the LMS gradebook column.').waitFor();
    await page.locator('details.not-yet summary').click();
    await page.getByText('Bruno Costa').waitFor();
    await step(page, 'guide-5-dashboard');
    const column = [...sim.lineItems.values()].find((i) => i.tag === 'credbridge-credential')!;
    expect(column).toMatchObject({ resourceLinkId: activity, label: 'Applied Data Analysis with Python' });
    await until(
      async () => (column.results.get('41')?.score === 100 ? true : undefined),
      'the full score in the gradebook column',
    );

    // 6. The learner opens the activity: their credential, and its public page for anyone to check.
    await browser.context.clearCookies();
    await open(page, '41', undefined, activity);
    await page.waitForURL(/\/lti\/me\/credentials$/);
    await step(page, 'guide-6-learner');
    await page.getByRole('link', { name: 'Open the verification page' }).first().click();
    await page.getByText('This credential is genuine and valid.').waitFor();
    await step(page, 'guide-7-verified');
    await page.close();
  }, 180_000);
});
