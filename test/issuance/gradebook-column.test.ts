import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { PlatformSimulator, type SimLineItem } from '../simulator/platform.js';
import { until } from '../helpers/wait.js';

/**
 * A column in the LMS gradebook for a credential, as Moodle 4.5 needs it: its deep linking takes no line item
 * with the link, so the tool creates its own through AGS (tied to the activity the instructor launched from),
 * lists it among its line items, scores every holder (those issued before by a re-run of their job), and
 * scores each new one as it is issued.
 */
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let clientId: string;
let templateKey: string;
let quiz: SimLineItem;

beforeAll(async () => {
  // A quick reconciler: a holder issued while a worker still had the binding without its column is scored by it.
  tool = await startTool({ ISSUE_BACKOFF_MS: '200', RECONCILE_INTERVAL_MS: '1000' });
  sim = await new PlatformSimulator().start();
  ({ clientId, templateKey } = await setUpInstitution(sim, tool));
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('2', 'Gradebook 101');
  sim.enrol('2', '3', 'Instructor');
  quiz = sim.addLineItem('2', 'Quiz', { clientId, scoreMaximum: 100 });
  for (const [id, score] of [
    ['41', 90],
    ['42', 70],
    ['43', 10],
  ] as const) {
    sim.addUser(id, `Learner ${id}`);
    sim.enrol('2', id, 'Learner');
    sim.grade(quiz.id, id, score);
  }
  await tool.startWorker();
}, 120_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
});

describe('a gradebook column for the credential', () => {
  it('is created through AGS on the activity, scores those who hold it already and each new holder', async () => {
    const teacher = await launchInstructor(sim, clientId, '3', '2');
    const bindings = `/lti/api/courses/${teacher.courseUrlId}/bindings`;
    const typeId = sim.tool(clientId).typeId;
    const itemUrl = `${sim.url}/mod/lti/services.php/2/lineitems/${quiz.id}/lineitem?type_id=${typeId}`;
    const created = await teacher.api(tool.url, bindings, {
      method: 'POST',
      body: {
        templateKey,
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [{ kind: 'assessment', itemId: itemUrl, threshold: { unit: 'percent', value: 50 } }],
            },
          ],
        },
      },
    });
    expect(created.status).toBe(201);
    const bindingId = String(created.body._id);
    await until(
      async () =>
        (await IssuanceRequest.countDocuments({ bindingId, state: 'issued' })) === 2 ? true : undefined,
      'two credentials',
    );
    // Issued before any column: nothing was written back.
    expect((await IssuanceRequest.find({ bindingId }).lean()).map((r) => r.writeBack)).toEqual([
      'none',
      'none',
    ]);

    const before = sim.lineItems.size;
    const column = await teacher.api(tool.url, `${bindings}/${bindingId}/gradebook-column`, {
      method: 'POST',
    });
    expect(column.status).toBe(201);
    expect(column.body.backfill).toBe(2);
    expect(sim.lineItems.size).toBe(before + 1);
    const item = [...sim.lineItems.values()].at(-1)!;
    expect(item).toMatchObject({
      courseId: '2',
      clientId,
      label: 'Applied Data Analysis with Python',
      tag: 'credbridge-credential',
      resourceId: `credbridge:${bindingId}`,
      resourceLinkId: '1', // the activity the instructor launched from
    });
    // The tool's own line items now include it, as Moodle lists them.
    const listed = await teacher.api(tool.url, `/lti/api/courses/${teacher.courseUrlId}/line-items`);
    expect(JSON.stringify(listed.body)).toContain('Applied Data Analysis with Python');

    // Those who held the credential before get full marks with the link to it.
    await until(
      async () =>
        (await IssuanceRequest.countDocuments({ bindingId, writeBack: 'done' })) === 2 ? true : undefined,
      'the backfill',
    );
    expect([...item.results.keys()].sort()).toEqual(['41', '42']);
    expect(item.results.get('41')).toMatchObject({ score: 100, max: 100 });
    expect(item.results.get('41')?.comment).toContain('/credentials/');

    // A learner who passes later is scored as the credential is issued.
    sim.grade(quiz.id, '43', 95);
    await teacher.api(tool.url, `${bindings}/${bindingId}/sync`, { method: 'POST' });
    await until(
      async () =>
        (await IssuanceRequest.exists({ bindingId, learnerId: '43', writeBack: 'done' })) ? true : undefined,
      'the write-back of learner 43',
    );
    expect(item.results.get('43')).toMatchObject({ score: 100 });

    // One column per credential.
    const again = await teacher.api(tool.url, `${bindings}/${bindingId}/gradebook-column`, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    expect(sim.lineItems.size).toBe(before + 1);
    const page = await teacher.browser.get(`${tool.url}/lti/courses/${teacher.courseUrlId}`);
    expect(page.body).toContain('Holders get full marks in the LMS gradebook column.');
  }, 120_000);
});
