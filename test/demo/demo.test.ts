import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { DEMO_ADMIN, DEMO_COURSE, DEMO_INSTRUCTOR, DEMO_LEARNERS, passes } from '../../scripts/demo/data.js';
import { createServer } from 'node:net';
import { portAnswers } from '../../scripts/services/process.js';
import { Browser, readForm } from '../simulator/browser.js';
import { until } from '../helpers/wait.js';

/**
 * `npm run demo` itself, as a child process with its own storage: it must reach "ready", the learners who
 * pass the seeded grades must hold credentials that verify over HTTP, and Ctrl-C (SIGINT) must stop every
 * process it started.
 */
const DATA = '.data/test-demo-run';
const expected = new Set(DEMO_LEARNERS.filter(passes).map((l) => l.id));

let demo: ChildProcess;
let output = '';
let simUrl: string;
let toolUrl: string;
let ports: number[];

/** Whether any process of the group is left (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Opens the tool through the simulator page's "Launch as <name>" link, as a person in a browser would. */
async function launchAs(name: string): Promise<{ browser: Browser; url: string; body: string }> {
  const browser = new Browser();
  const people = await browser.get(`${simUrl}/`);
  const link = new RegExp(`href="([^"]+)">Launch as ${name}<`).exec(people.body)?.[1];
  if (!link) throw new Error(`no "Launch as ${name}" link on ${simUrl}/`);
  const auth = await browser.get(new URL(link.replace(/&amp;/g, '&'), simUrl).toString());
  const { action, fields } = readForm(auth);
  const page = await browser.post(action, fields);
  return { browser, url: page.url, body: page.body };
}

beforeAll(async () => {
  // Below the kernel's ephemeral range, so no outgoing connection takes the port before the demo binds it.
  let port = 20_000 + Math.floor(Math.random() * 9_000);
  while (!(await canListen(port)) || !(await canListen(port + 1))) port++;
  // Its own storage, like on a fresh machine: the demo starts FerretDB and Redis when these are unset.
  const env = { ...process.env };
  delete env.MONGODB_URI;
  delete env.REDIS_URL;
  demo = spawn('npm', ['run', '--silent', 'demo', '--', '--reset', '--port', String(port), '--data', DATA], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so SIGINT can go to the whole group as Ctrl-C in a terminal sends it.
    detached: true,
  });
  demo.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  demo.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await until(
    async () => {
      if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}):\n${output}`);
      return /\[demo\] ready/.test(output) ? true : undefined;
    },
    '"ready"',
    300_000,
    () => `demo output:\n${output}`,
  );

  simUrl = /LMS \(platform simulator\):\s+(http:\/\/\S+?)\/?\s/.exec(output)![1]!;
  toolUrl = /Credbridge \(the tool\):\s+(http:\/\/\S+)/.exec(output)![1]!;
  const portOf = (re: RegExp) => Number(new URL(re.exec(output)![1]!).port);
  ports = [
    portOf(/LMS \(platform simulator\):\s+(\S+)/),
    portOf(/Credbridge \(the tool\):\s+(\S+)/),
    portOf(/worker health on (\S+)/),
    portOf(/MongoDB-compatible store:\s+(\S+)/),
    portOf(/Redis:\s+(\S+)/),
  ];
}, 320_000);

afterAll(async () => {
  if (demo?.pid && groupAlive(demo.pid)) {
    process.kill(-demo.pid, 'SIGINT');
    await until(
      async () => (groupAlive(demo.pid!) ? undefined : true),
      'the demo to stop',
      60_000,
      () => `demo output:\n${output}`,
    );
  }
  await rm(DATA, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('lists the course with its instructor and 20 learners, each with a launch link', async () => {
    const page = await new Browser().get(`${simUrl}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(DEMO_COURSE.title);
    expect(page.body.match(/>Launch as /g)).toHaveLength(DEMO_LEARNERS.length + 1);
  });

  it('issues a credential that verifies to exactly the learners who pass the seeded grades', async () => {
    const instructor = await launchAs(DEMO_INSTRUCTOR.name);
    const courseId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(instructor.url)![1]!;
    const csrf = /data-csrf="([^"]+)"/.exec(instructor.body)![1]!;
    const api = async (path: string) => {
      const res = await fetch(`${toolUrl}/lti/api/courses/${courseId}${path}`, {
        headers: {
          cookie: [...instructor.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          accept: 'application/json',
          'x-csrf-token': csrf,
        },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const { bindings } = (await api('/bindings')) as { bindings: { _id: string }[] };
    expect(bindings).toHaveLength(1);
    const bindingId = bindings[0]!._id;
    await until(
      async () => {
        const { progress } = (await api(`/bindings/${bindingId}/progress`)) as {
          progress: Record<string, number>;
        };
        return progress.issued === expected.size && progress.queued === 0 && progress.signing === 0
          ? true
          : undefined;
      },
      `${expected.size} issued credentials`,
      180_000,
      () => `demo output:\n${output}`,
    );

    const { requests } = (await api(`/bindings/${bindingId}/requests?state=issued`)) as {
      requests: { _id: string; learnerId: string }[];
    };
    expect(new Set(requests.map((r) => r.learnerId))).toEqual(expected);
    for (const request of requests) {
      for (const format of ['ob3', 'elm']) {
        const credential: unknown = await (
          await fetch(`${toolUrl}/credentials/${request._id}/${format}`)
        ).json();
        const res = await fetch(`${toolUrl}/credentials/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ verifiableCredential: credential }),
        });
        const result = (await res.json()) as { verified: boolean; errors: string[] };
        // The demo's institution has a test seal: its European credentials are sealed (JAdES), not signed.
        if (format === 'elm') expect(credential).toMatchObject({ signatures: [expect.anything()] });
        // The badge made from the institution's branding (a 400-pixel PNG), not the template file's placeholder.
        if (format === 'ob3') {
          const image = (credential as { credentialSubject: { achievement: { image: { id: string } } } })
            .credentialSubject.achievement.image.id;
          expect(PNG.sync.read(Buffer.from(image.split(',')[1]!, 'base64')).width).toBe(400);
        }
        expect({ learner: request.learnerId, format, ...result }).toMatchObject({
          verified: true,
          errors: [],
        });
      }
    }
  }, 240_000);

  it('prints a console login that signs in, and the LMS page says where to click first', async () => {
    const user = /user:\s+(\S+)/.exec(output)?.[1];
    const password = /password:\s+(\S+)/.exec(output)?.[1];
    expect(user).toBe(DEMO_ADMIN);
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const browser = new Browser();
    const form = readForm(await browser.get(`${toolUrl}/admin/login`));
    const signedIn = await browser.post(form.action, {
      ...form.fields,
      username: user!,
      password: password!,
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.url.startsWith(`${toolUrl}/admin/`)).toBe(true);
    expect(signedIn.body).toContain('href="/admin/templates"');
    const landing = await new Browser().get(`${simUrl}/`);
    const steps = /<h2 id="guide">Start here<\/h2><ol>(.*?)<\/ol>/s.exec(landing.body)?.[1] ?? '';
    expect(steps.match(/<li>/g)).toHaveLength(4);
    expect(steps).toContain(`${toolUrl}/admin`);
    expect(steps).toContain(DEMO_ADMIN);
    expect(steps).not.toContain(password!);
  });

  it('opens the tool as a learner through the launch link', async () => {
    const learner = DEMO_LEARNERS.find(passes)!;
    const page = await launchAs(learner.name);
    expect(page.url).toBe(`${toolUrl}/lti/me/credentials`);
    expect(page.body).toContain(learner.name);
    expect(page.body).toMatch(/\/credentials\/[0-9a-f-]{36}/);
  });

  it('stops everything it started on Ctrl-C (SIGINT)', async () => {
    for (const port of ports) expect(await portAnswers(port)).toBe(true);
    process.kill(-demo.pid!, 'SIGINT');
    // npm itself ends at once; the demo, its storage servers (same group) and web and worker must follow.
    await until(
      async () => (groupAlive(demo.pid!) ? undefined : true),
      'the demo to stop',
      60_000,
      () => `demo output:\n${output}`,
    );
    expect(output).toMatch(/\[demo\] stopped/);
    const open = [];
    for (const port of ports) if (await portAnswers(port)) open.push(port);
    expect(open).toEqual([]);
  }, 70_000);
});
