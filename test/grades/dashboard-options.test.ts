import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LtiPlatform } from '../../src/lti/models.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import { ADMIN_TOKEN, startTool, type ToolUnderTest } from '../helpers/tool.js';
import { captureLikeCourse, MoodleWsSimulator } from '../simulator/moodle-ws.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * With a Moodle Web Services connection, the instructor's mapping screen offers what Moodle has for the course
 * (every gradebook item, activities with completion, competencies), so mapping is picking, and a template
 * enabled there reads its grades from Moodle.
 */
let tool: ToolUnderTest;
let lms: PlatformSimulator;
let moodle: MoodleWsSimulator;
let clientId: string;

beforeAll(async () => {
  tool = await startTool();
  lms = await new PlatformSimulator().start();
  moodle = await new MoodleWsSimulator().start();
  ({ clientId } = await setUpInstitution(lms, tool));
  const course = captureLikeCourse(moodle);
  // One graded learner, so Moodle's user report lists the gradebook items.
  course.users.set(4, {
    id: 4,
    firstname: 'Sam',
    lastname: 'Student',
    email: 'sam@example.com',
    role: 'student',
  });
  course.grades.set(
    4,
    new Map([
      [7, 85],
      [8, 10],
      [9, 80],
      [10, 2],
    ]),
  );
  moodle.addToken('ws-token-1');
  lms.addUser('3', 'Terry Teacher');
  lms.addCourse('2', 'LTI Test Course', 'LTI101');
  lms.enrol('2', '3', 'Instructor');
}, 120_000);

afterAll(async () => {
  await tool?.close();
  await lms?.stop();
  await moodle?.stop();
});

describe('mapping screen with an LMS connection', () => {
  it('offers AGS line items while no LMS connection is set', async () => {
    const { browser, courseUrlId } = await launchInstructor(lms, clientId, '3', '2');
    const page = await browser.get(`${tool.url}/lti/courses/${courseUrlId}`);
    expect(page.body).toContain('data-source="ags"');
    expect(page.body).not.toContain('Essay assignment');
  });

  it('offers Moodle grade items, completion and competencies once the admin connects Moodle', async () => {
    const platform = (await LtiPlatform.findOne().lean())!;
    const saved = await fetch(`${tool.url}/api/admin/lti/platforms/${String(platform._id)}/lms-connection`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'moodle', baseUrl: moodle.url, token: 'ws-token-1' }),
    });
    expect(saved.status).toBe(200);

    const { browser, courseUrlId, api } = await launchInstructor(lms, clientId, '3', '2');
    const page = await browser.get(`${tool.url}/lti/courses/${courseUrlId}`);
    expect(page.body).toContain('data-source="moodle"');
    expect(page.body).toMatch(
      /<option value="grade:\d+" data-kind="assessment"\s*>Essay assignment<\/option>/,
    );
    expect(page.body).toMatch(/data-kind="activityCompletion"/);
    expect(page.body).toMatch(/data-kind="competency"/);
    expect(page.body).not.toContain('ws-token-1');

    // What the screen's script posts for a picked grade item and a picked competency.
    const options = [...page.body.matchAll(/<option value="([^"]+)" data-kind="([^"]+)"/g)].map((m) => ({
      id: m[1]!,
      kind: m[2]!,
    }));
    const grade = options.find((o) => o.kind === 'assessment')!;
    const competency = options.find((o) => o.kind === 'competency')!;
    const created = await api(tool.url, `/lti/api/courses/${courseUrlId}/bindings`, {
      method: 'POST',
      body: {
        templateKey: 'applied-data-analysis-python',
        source: 'moodle',
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [{ kind: 'assessment', itemId: grade.id, threshold: { unit: 'percent', value: 50 } }],
            },
            { outcome: 1, evidence: [{ kind: 'competency', competencyId: competency.id }] },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.source).toMatchObject({ kind: 'moodle' });
  });
});
