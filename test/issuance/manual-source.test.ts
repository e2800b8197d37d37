import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Credential } from '../../src/credentials/credential-model.js';
import { ManualResult } from '../../src/grades/manual-source.js';
import { AuditEvent } from '../../src/db/models/audit-event.js';
import { CourseBinding } from '../../src/courses/binding-model.js';
import { IssuanceRequest } from '../../src/issuance/request-model.js';
import { launchInstructor, setUpInstitution } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { until } from '../helpers/wait.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * The manual grade source over HTTP: an instructor imports results as CSV (every bad row named, nothing stored
 * from a bad file), the rule decides, and an award with a reason goes through the same exactly-once path.
 */
let tool: ToolUnderTest;
let sim: PlatformSimulator;
let session: Awaited<ReturnType<typeof launchInstructor>>;
let bindingPath: string;

beforeAll(async () => {
  tool = await startTool({ ISSUE_BACKOFF_MS: '200' });
  sim = await new PlatformSimulator().start();
  const { clientId } = await setUpInstitution(sim, tool);
  sim.addUser('3', 'Terry Teacher');
  sim.addCourse('7', 'Workshop without LMS grades', 'WS7');
  sim.enrol('7', '3', 'Instructor');
  // The learners of the course as the LMS lists them; results can be imported for them alone.
  for (const [id, name] of [
    ['u1', 'Ana Andromeda'],
    ['u2', 'Bruno Costa'],
    ['u3', 'Chloé Dupont'],
  ] as const) {
    sim.addUser(id, name);
    sim.enrol('7', id, 'Learner');
  }
  session = await launchInstructor(sim, clientId, '3', '7');
  await tool.startWorker();
}, 120_000);

afterAll(async () => {
  await tool?.close();
  await sim?.stop();
});

/** What the pipeline was doing, for a timeout's message. */
async function pipelineState(): Promise<string> {
  const requests = await IssuanceRequest.find({}, { learnerId: 1, state: 1, lastError: 1 }).lean();
  const syncs = (await CourseBinding.find({}, { sync: 1, syncRequests: 1 }).lean()).map((b) => ({
    sync: b.sync,
    syncRequests: (b as { syncRequests?: number }).syncRequests,
  }));
  return JSON.stringify({ requests, syncs });
}

const api = (path: string, init?: Parameters<typeof session.api>[2]) => session.api(tool.url, path, init);

describe('manual grade source', () => {
  it('enables a template whose grades the instructor enters', async () => {
    const res = await api(`/lti/api/courses/${session.courseUrlId}/bindings`, {
      method: 'POST',
      body: {
        templateKey: 'applied-data-analysis-python',
        source: 'manual',
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [
                { kind: 'assessment', itemId: 'Final exam', threshold: { unit: 'percent', value: 60 } },
              ],
            },
          ],
        },
      },
    });
    expect(res.status).toBe(201);
    bindingPath = `/lti/api/courses/${session.courseUrlId}/bindings/${String(res.body._id)}`;
  });

  it('refuses a bad CSV, naming each line and field, and stores nothing', async () => {
    const csv = [
      'learner_id,name,email,item,score,max',
      'u1,Ana,ana@example.org,Final exam,abc,100',
      ',Bo,,Final exam,120,100',
    ].join('\n');
    const res = await api(`${bindingPath}/results`, { method: 'POST', csv });
    expect(res.status).toBe(400);
    const message = String((res.body.error as { message: string }).message);
    expect(message).toContain('line 2: score "abc" is not a number');
    expect(message).toContain('line 3: learner_id is empty');
    expect(message).toContain('line 3: score 120 is above max 100');
    expect(await ManualResult.countDocuments()).toBe(0);
  });

  it('refuses results for anyone the LMS does not list as a learner of the course, naming the line', async () => {
    const csv = [
      'learner_id,name,email,item,score,max',
      'u1,Ana Andromeda,ana@example.org,Final exam,75,100',
      'ghost,Friend Of The Teacher,teacher@elsewhere.example,Final exam,100,100',
      '3,Terry Teacher,,Final exam,100,100',
    ].join('\n');
    const res = await api(`${bindingPath}/results`, { method: 'POST', csv });
    expect(res.status).toBe(400);
    const message = String((res.body.error as { message: string }).message);
    expect(message).toContain('line 3: learner_id "ghost" is not a learner of this course in the LMS');
    expect(message).toContain('line 4: learner_id "3" is not a learner of this course in the LMS');
    expect(message).not.toContain('line 2');
    expect(await ManualResult.countDocuments()).toBe(0);
  });

  it("imports results; the learners who meet the rule get exactly one credential each, under the LMS's names", async () => {
    const csv = [
      'learner_id,name,email,item,score,max',
      'u1,Ana Andromeda,ana@example.org,Final exam,75,100',
      'u2,Bruno Costa,bruno@example.org,Final exam,59,100',
      'u3,Chloé Dupont,,Final exam,60,100',
    ].join('\n');
    const res = await api(`${bindingPath}/results`, { method: 'POST', csv });
    expect(res.status).toBe(200);
    expect(res.body.learners).toBe(3);
    const issued = await until(
      async () => {
        const rows = await IssuanceRequest.find({ state: 'issued' }).lean();
        return rows.length === 2 ? rows : undefined;
      },
      'the two qualifying learners issued',
      60_000,
      pipelineState,
    );
    expect(issued.map((r) => r.learnerId).sort()).toEqual(['u1', 'u3']);
    // Whatever the file says of names and addresses, the LMS's are the ones kept.
    expect(issued.map((r) => r.learner?.email).sort()).toEqual(['useru1@example.com', 'useru3@example.com']);
    expect(await Credential.countDocuments()).toBe(2);

    // The same file again changes nothing.
    expect((await api(`${bindingPath}/results`, { method: 'POST', csv })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await IssuanceRequest.countDocuments()).toBe(2);
  }, 90_000);

  it("awards a learner of the roster by hand, under the roster's name, with a reason, once, and audits it", async () => {
    const award = { learnerId: 'u2', reason: 'Recognised prior learning: certified elsewhere' };
    const tooShort = await api(`${bindingPath}/awards`, { method: 'POST', body: { ...award, reason: 'ok' } });
    expect(tooShort.status).toBe(400);
    expect(JSON.stringify(tooShort.body)).toContain('reason');
    // Nobody outside the roster, and no name of the instructor's choosing.
    const stranger = await api(`${bindingPath}/awards`, {
      method: 'POST',
      body: { ...award, learnerId: 'mallory' },
    });
    expect(stranger.status).toBe(400);
    expect(JSON.stringify(stranger.body)).toContain(
      `learnerId: \\"mallory\\" is not in this course's roster`,
    );
    const named = await api(`${bindingPath}/awards`, {
      method: 'POST',
      body: { ...award, name: 'Somebody Else' },
    });
    expect(named.status).toBe(400);
    expect(await IssuanceRequest.countDocuments({ learnerId: { $in: ['mallory', 'u2'] } })).toBe(0);

    const res = await api(`${bindingPath}/awards`, { method: 'POST', body: award });
    expect(res.status).toBe(202);
    expect(res.body.state).toBe('queued');
    const issued = await until(
      async () => (await IssuanceRequest.findOne({ learnerId: 'u2', state: 'issued' }).lean()) ?? undefined,
      'the award to u2 issued',
      60_000,
      pipelineState,
    );
    expect(issued.learner?.name).toBe('Bruno Costa');
    const again = await api(`${bindingPath}/awards`, { method: 'POST', body: award });
    expect(again.status).toBe(409);
    expect(await Credential.countDocuments()).toBe(3);
    const audit = await AuditEvent.findOne({ action: 'credential.award' }).lean();
    expect(audit).toMatchObject({
      actor: { kind: 'instructor', id: '3' },
      details: { reason: award.reason, learnerId: 'u2' },
    });
    expect(audit?.institutionId).toBeTruthy();
  }, 90_000);

  it('exports the issuance list as CSV', async () => {
    const res = await api(`${bindingPath}/requests.csv`);
    expect(res.status).toBe(200);
    const lines = String(res.body.text).trim().split('\r\n');
    expect(lines[0]).toBe(
      'learner_id,name,email,state,issued_at,reason,flag,credential_id,replaced_by,reissue_reason',
    );
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual(['u1', 'u2', 'u3']);
  });
});
