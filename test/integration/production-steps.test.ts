import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freePort } from '../../scripts/services/process.js';
import { projectPath } from '../../src/credentials/project-files.js';
import { databaseUri, uniqueName } from '../helpers/env.js';
import { startEntry, waitForStatus, type RunningProcess } from '../helpers/processes.js';
import { Browser, readForm } from '../simulator/browser.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * The README's production steps, followed from an empty database by a new operator: the web and worker
 * processes, the `credbridge` commands exactly as the README writes them (with the local command for the
 * container's), the administrator's setup link and console, a registration link pasted into the LMS, a
 * teacher's launch and rule, and the worker's credential, verified as genuine and named by its institution.
 * No demo seed and no shortcut into the database.
 */
const CONTAINER = 'docker compose -f docker/compose.yml exec web credbridge ';

/** The README's `credbridge` commands, in order, as argument lists (double quotes respected). */
function readmeCommands(): string[][] {
  const readme = readFileSync(projectPath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### From nothing to a first credential'));
  return section
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(CONTAINER))
    .map((l) => [...l.slice(CONTAINER.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

let env: Record<string, string>;
let web: RunningProcess;
let worker: RunningProcess;
let sim: PlatformSimulator;
let toolUrl: string;

function credbridge(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      projectPath('node_modules', '.bin', 'tsx'),
      [projectPath('src', 'cli', 'index.ts'), ...args],
      { env: { ...process.env, ...env }, cwd: projectPath() },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  const port = await freePort();
  toolUrl = `http://127.0.0.1:${port}`;
  sim = await new PlatformSimulator().start();
  env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: toolUrl,
    MONGODB_URI: databaseUri(uniqueName('production')),
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: uniqueName('q'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_TOKEN: randomBytes(32).toString('base64'),
    WORKER_HEALTH_PORT: String(await freePort()),
    SYNC_DEBOUNCE_MS: '0',
    // The LMS here is on this machine; a real one is public, or named here as the README says.
    OUTBOUND_ALLOW_PRIVATE_HOSTS: new URL(sim.url).host,
  };
  web = startEntry('src/server.ts', env);
  worker = startEntry('src/worker.ts', env);
  await waitForStatus(`${toolUrl}/readyz`, 200, 60_000);
  await waitForStatus(`http://127.0.0.1:${env.WORKER_HEALTH_PORT}/readyz`, 200, 60_000);
}, 120_000);

afterAll(async () => {
  web?.child.kill('SIGKILL');
  worker?.child.kill('SIGKILL');
  await sim?.stop();
});

describe("the README's production steps", () => {
  const admin = new Browser();
  let setupLink = '';

  it('has the commands to follow', () => {
    expect(readmeCommands().map((c) => c.slice(0, 2).join(' '))).toEqual([
      'institution create',
      'template import',
      'seal test',
    ]);
  });

  it('1. creates the institution, its issuer and an invited administrator', async () => {
    const run = await credbridge(readmeCommands()[0]!);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`institution example-university created: issuer did:web:127.0.0.1%3A`);
    setupLink = /(http\S+\/admin\/setup\/\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(setupLink).not.toBe('');
    // The institution's issuer answers at the root did:web at once.
    expect((await fetch(`${toolUrl}/.well-known/did.json`)).status).toBe(200);
  }, 60_000);

  it('2. the administrator chooses a password through the link and lands in the console', async () => {
    const form = await admin.get(setupLink);
    expect(form.status).toBe(200);
    const fields = readForm(form).fields;
    const page = await admin.post(readForm(form).action, {
      ...fields,
      password: 'a long enough password',
      repeat: 'a long enough password',
    });
    expect(page.url).toBe(`${toolUrl}/admin/platforms`);
    expect(page.body).toContain('No LMS has joined this institution yet');
    // The link is spent.
    expect((await new Browser().get(setupLink)).status).toBe(404);
  });

  it('3. publishes the template', async () => {
    const run = await credbridge(readmeCommands()[1]!);
    expect(run.stdout).toContain('imported into example-university (published)');
    expect(run.code).toBe(0);
  }, 60_000);

  it('refuses a wrong institution naming each option, and a taken id or administrator, creating nothing', async () => {
    const wrong = await credbridge([
      'institution',
      'create',
      '--id',
      'Not An Id',
      '--country',
      'Ireland',
      '--homepage',
      'example.edu',
    ]);
    expect(wrong.code).toBe(1);
    for (const option of ['--id:', '--name:', '--country:', '--homepage:'])
      expect(wrong.stderr).toContain(option);
    const again = await credbridge(readmeCommands()[0]!);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--admin: "alice" is already taken');
    const takenId = [
      ...readmeCommands()[0]!
        .filter((a) => a !== '--root-did')
        .slice(0, -2),
      '--admin',
      'bob',
    ];
    const conflict = await credbridge(takenId);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('institution "example-university" already exists');
    const list = await credbridge(['institution', 'list']);
    expect(list.stdout.trim().split('\n')).toEqual(['example-university\tExample University']);
  }, 60_000);

  it('4. gives the institution a test seal, labelled as such in the console', async () => {
    const run = await credbridge(readmeCommands()[2]!);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('active: Example University (test seal, not qualified)');
    expect((await admin.get(`${toolUrl}/admin/seal`)).body).toContain('Test seal, not qualified');
  }, 60_000);

  let clientId = '';
  it('5. registers the LMS through a registration link made in the console', async () => {
    const platforms = await admin.get(`${toolUrl}/admin/platforms`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(platforms.body)![1]!;
    const made = await admin.post(`${toolUrl}/admin/registration-links`, { _csrf: csrf, label: 'Moodle' });
    expect(made.status).toBe(201);
    const link = /id="registration-link" value="([^"]+)"/.exec(made.body)?.[1];
    expect(link).toMatch(new RegExp(`^${toolUrl}/lti/register/`));
    expect(made.body).toContain('Add LTI Advantage');
    const registered = await new Browser().get(await sim.registrationUrl(link!));
    expect(registered.status).toBe(200);
    clientId = [...sim.tools.values()][0]!.clientId;
    sim.activateTool(clientId); // "Activate" in Moodle's Manage tools
    expect((await admin.get(`${toolUrl}/admin/platforms`)).body).toContain(sim.issuer);
  });

  it('6. a teacher enables the template with a rule; the learner who passes gets a genuine credential', async () => {
    sim.addUser('3', 'Terry Teacher');
    sim.addCourse('2', 'Applied Data Analysis', 'ADA101');
    sim.enrol('2', '3', 'Instructor');
    const quiz = sim.addLineItem('2', 'Quiz', { clientId, scoreMaximum: 100 });
    for (const [id, score] of [
      ['41', 80],
      ['42', 30],
    ] as const) {
      sim.addUser(id, `Learner ${id}`);
      sim.enrol('2', id, 'Learner');
      sim.grade(quiz.id, id, score);
    }
    const teacher = new Browser();
    const auth = await teacher.get(`${sim.url}/launch?course=2&user=3`);
    const dashboard = await teacher.post(readForm(auth).action, readForm(auth).fields);
    const courseId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(dashboard.url)?.[1];
    const csrf = /data-csrf="([^"]+)"/.exec(dashboard.body)?.[1];
    expect(courseId && csrf).toBeTruthy();
    const typeId = sim.tool(clientId).typeId;
    const res = await fetch(`${toolUrl}/lti/api/courses/${courseId}/bindings`, {
      method: 'POST',
      headers: {
        cookie: [...teacher.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/json',
        'x-csrf-token': csrf!,
      },
      body: JSON.stringify({
        templateKey: 'applied-data-analysis-python',
        rule: {
          outcomes: [
            {
              outcome: 0,
              evidence: [
                {
                  kind: 'assessment',
                  itemId: `${sim.url}/mod/lti/services.php/2/lineitems/${quiz.id}/lineitem?type_id=${typeId}`,
                  threshold: { unit: 'percent', value: 50 },
                },
              ],
            },
          ],
        },
      }),
    });
    expect(res.status).toBe(201);

    // The learner's own page lists the credential once the worker has issued it.
    const learner = new Browser();
    let credentialPath: string | undefined;
    for (let i = 0; i < 120 && !credentialPath; i++) {
      const launch = await learner.get(`${sim.url}/launch?course=2&user=41`);
      const page = await learner.post(readForm(launch).action, readForm(launch).fields);
      credentialPath = /href="(?:https?:\/\/[^"]+)?(\/credentials\/[0-9a-f-]{36})"/.exec(page.body)?.[1];
      if (!credentialPath) await new Promise((r) => setTimeout(r, 500));
    }
    expect(credentialPath).toBeDefined();
    const verification = await (await fetch(`${toolUrl}${credentialPath}/verification`)).json();
    // Sealed with the institution's test seal: genuine here, and labelled as not qualified for Europass.
    expect(verification).toMatchObject({
      verified: true,
      issuer: { recognised: 'installation', name: 'Example University' },
      elm: { seal: { holder: 'Example University', test: true, qualified: false } },
    });
    const page = await (await fetch(`${toolUrl}${credentialPath}?lang=en`)).text();
    expect(page).toContain('This credential is genuine and valid.');
    expect(page).toContain('Test seal, not qualified');
  }, 120_000);
});
