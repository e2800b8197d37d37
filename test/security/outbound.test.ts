import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../../scripts/services/process.js';
import { CanvasClient } from '../../src/grades/canvas-client.js';
import { MoodleWsClient } from '../../src/grades/moodle-ws-client.js';
import { fetchJson } from '../../src/lti/dynamic-registration.js';
import { LtiPlatform } from '../../src/lti/models.js';
import { addressRange, isPublicAddress } from '../../src/net/addresses.js';
import { isAllowedHost, parseHostAllowance } from '../../src/net/allowed-hosts.js';
import { configureOutbound, OutboundError, outboundFetch } from '../../src/net/outbound.js';
import { launchInstructor } from '../helpers/lti.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';
import { Browser, readForm } from '../simulator/browser.js';
import { createTestInstitution, registerThroughLink, registrationLinkFor } from '../helpers/institution.js';
import { PlatformSimulator } from '../simulator/platform.js';

/**
 * Server-side request forgery: every URL the tool fetches comes from outside (an LMS's configuration, an
 * admin's form), so each must be refused when it leads to this machine or its network, and every failure
 * must read the same, or the tool becomes a port scanner. The "internal service" is a real server on this
 * machine that counts what reaches it; a direct fetch (the control) shows each URL would have reached it.
 */

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

async function listen(
  host: string,
  handle: (req: Recorded, res: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; port: number; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(recorded);
      handle(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const close = async (server?: Server) => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

/** What the caller sees of a failure, with the host it asked for written as <host>. */
async function failureOf(url: string, init?: RequestInit): Promise<string> {
  const err = await outboundFetch(url, init).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundError);
  const error = err as OutboundError;
  // Nothing of the cause is enumerable: JSON (API answers, logs of plain objects) shows the message alone.
  expect(Object.keys(error)).not.toContain('cause');
  expect(JSON.stringify(error)).not.toMatch(/loopback|private|ECONNREFUSED|ENOTFOUND|redirect/i);
  return error.message.replace(new URL(url).host, '<host>');
}

const SAME_FAILURE = '<host> could not be reached';

/** A platform configuration on the allowed server whose registration endpoint is the internal service. */
const openIdConfiguration = () => ({
  issuer: lmsUrl,
  authorization_endpoint: `${lmsUrl}/auth`,
  token_endpoint: `${lmsUrl}/token`,
  jwks_uri: `${lmsUrl}/jwks`,
  registration_endpoint: `${internalUrl}/register`,
});

let internal: Awaited<ReturnType<typeof listen>>;
/** Stands for a public LMS: allowed by host:port, it redirects wherever a test asks. */
let lms: Awaited<ReturnType<typeof listen>>;
/** Another allowed origin, to see what a cross-origin redirect carries. */
let other: Awaited<ReturnType<typeof listen>>;
let internalUrl: string;
let lmsUrl: string;
let otherUrl: string;
let closedPort: number;

beforeAll(async () => {
  // Dual-stack, so 127.0.0.1, ::1, ::ffff:127.0.0.1 and 0.0.0.0 all really reach it without the guard.
  internal = await listen('::', (_req, res) => res.end('internal secret'));
  internalUrl = `http://127.0.0.1:${internal.port}`;
  lms = await listen('127.0.0.1', (req, res) => {
    const to = new URL(req.url, 'http://x').searchParams.get('to');
    const hops = Number(new URL(req.url, 'http://x').searchParams.get('hops') ?? 0);
    const status = Number(new URL(req.url, 'http://x').searchParams.get('status') ?? 302);
    if (hops > 0) {
      const next = new URLSearchParams({ to: to ?? '', hops: String(hops - 1), status: String(status) });
      res.writeHead(status, { location: `/chain?${next}` }).end();
    } else if (to) res.writeHead(status, { location: to }).end();
    else if (req.url === '/openid') res.end(JSON.stringify(openIdConfiguration()));
    else if (req.url === '/hang')
      return; // never answers
    else res.end(JSON.stringify({ ok: true }));
  });
  lmsUrl = `http://127.0.0.1:${lms.port}`;
  other = await listen('127.0.0.1', (_req, res) => res.end('other'));
  otherUrl = `http://127.0.0.1:${other.port}`;
  closedPort = await freePort();
});

afterAll(async () => {
  await Promise.all([close(internal?.server), close(lms?.server), close(other?.server)]);
});

beforeEach(() => {
  configureOutbound({ allowPrivateHosts: [`127.0.0.1:${lms.port}`, `127.0.0.1:${other.port}`] });
  for (const s of [internal, lms, other]) s.seen.length = 0;
});

describe('address classification', () => {
  it.each([
    ['93.184.215.14', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['64:ff9b::808:808', true], // NAT64 of 8.8.8.8
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['127.255.255.254', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false], // AWS, GCP, Azure metadata
    ['100.100.100.200', false], // Alibaba metadata (carrier-grade NAT)
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['0.1.2.3', false],
    ['255.255.255.255', false],
    ['224.0.0.1', false],
    ['240.0.0.1', false],
    ['192.0.2.1', false],
    ['198.18.0.1', false],
    ['::1', false],
    ['::', false],
    ['fd00:ec2::254', false], // AWS metadata over IPv6 (unique local)
    ['fc00::1', false],
    ['fe80::1', false],
    ['fe80::1%eth0', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:10.0.0.1', false],
    ['64:ff9b::7f00:1', false], // NAT64 of 127.0.0.1
    ['64:ff9b::a9fe:a9fe', false], // NAT64 of 169.254.169.254
    ['64:ff9b:1::a00:1', false], // local-use NAT64
    ['::7f00:1', false], // IPv4-compatible ::127.0.0.1
    ['2002:7f00:1::1', false], // 6to4
    ['2001::1', false], // Teredo
    ['2001:db8::1', false],
    ['not an address', false],
  ])('%s is %s', (address, allowed) => {
    expect({ address, range: addressRange(address), allowed: isPublicAddress(address) }).toMatchObject({
      address,
      allowed,
    });
  });

  it('matches allowed hosts by URL host, and by port when the entry names one', () => {
    const allow = ['lms.campus.local', '10.0.0.5:8443', '[fd00::1]:80', '2130706433:81'].map((e) =>
      parseHostAllowance(e)!,
    );
    const allowed = (url: string) => isAllowedHost(new URL(url), allow);
    expect(allowed('https://lms.campus.local/x')).toBe(true);
    expect(allowed('http://LMS.campus.local:9000/')).toBe(true);
    expect(allowed('https://lms.campus.local.evil.example/')).toBe(false);
    expect(allowed('https://10.0.0.5:8443/')).toBe(true);
    expect(allowed('https://10.0.0.5/')).toBe(false);
    expect(allowed('http://10.0.0.6:8443/')).toBe(false);
    expect(allowed('http://[fd00::1]/')).toBe(true);
    expect(allowed('https://[fd00::1]/')).toBe(false); // 443, not 80
    expect(allowed('http://127.0.0.1:81/')).toBe(true); // the entry is normalised like a URL
    expect(allowed('http://127.0.0.1:82/')).toBe(false);
    for (const bad of ['http://x', 'x/y', '::1', 'x:0', 'x:65536', '*.x', ''])
      expect(parseHostAllowance(bad)).toBeUndefined();
    expect(() => configureOutbound({ allowPrivateHosts: ['x/y'] })).toThrow('"x/y"');
  });
});

describe('the internal service is never reached', () => {
  const viaLms = (to: string, extra: Record<string, string> = {}) =>
    `${lmsUrl}/go?${new URLSearchParams({ to, ...extra })}`;
  const cases: [string, () => string][] = [
    ['by IP', () => `${internalUrl}/admin`],
    ['by the name localhost', () => `http://localhost:${internal.port}/admin`],
    ['by IPv6 loopback', () => `http://[::1]:${internal.port}/admin`],
    ['by IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${internal.port}/admin`],
    ['by 0.0.0.0', () => `http://0.0.0.0:${internal.port}/admin`],
    ['by a decimal IPv4', () => `http://2130706433:${internal.port}/admin`],
    ['by a hex IPv4', () => `http://0x7f.1:${internal.port}/admin`],
    ['by an octal IPv4', () => `http://0177.0.0.1:${internal.port}/admin`],
    ['through an allowed server that redirects', () => viaLms(`${internalUrl}/admin`)],
    ['through a 307 that keeps the POST', () => viaLms(`${internalUrl}/admin`, { status: '307' })],
    ['through a chain of redirects', () => viaLms(`http://localhost:${internal.port}/admin`, { hops: '3' })],
  ];

  it.each(cases)('%s (the control fetch reaches it; the guarded one does not)', async (_name, url) => {
    // The control: without the guard, the URL (or where the allowed server sends it) reaches the service.
    if (!url().startsWith(lmsUrl)) {
      expect(await (await fetch(url())).text()).toBe('internal secret');
      internal.seen.length = 0;
    }
    expect(await failureOf(url(), { method: 'POST', body: 'x=1' })).toBe(SAME_FAILURE);
    expect(await failureOf(url())).toBe(SAME_FAILURE);
    expect(internal.seen).toHaveLength(0);
  });

  it('reads the same for a closed port, an unresolvable name and too many redirects', async () => {
    // A closed port on a refused host, and one on an allowed host (where a connection is really tried).
    expect(await failureOf(`http://127.0.0.1:${closedPort}/`)).toBe(SAME_FAILURE);
    configureOutbound({ allowPrivateHosts: [`127.0.0.1:${closedPort}`, `127.0.0.1:${lms.port}`] });
    expect(await failureOf(`http://127.0.0.1:${closedPort}/`)).toBe(SAME_FAILURE);
    expect(await failureOf('http://credbridge-outbound-test.invalid/')).toBe(SAME_FAILURE);
    expect(await failureOf(`${lmsUrl}/chain?hops=6`)).toBe(SAME_FAILURE);
    expect(await failureOf('ftp://example.org/')).toBe(SAME_FAILURE);
    // A timeout through the caller's signal too.
    expect(await failureOf(`${lmsUrl}/hang`, { signal: AbortSignal.timeout(200) })).toBe(SAME_FAILURE);
    // The chain's first request and the 5 redirects followed (the 6th is not), then the hanging one.
    expect(lms.seen.map((r) => r.url.split('?')[0])).toEqual([...Array(6).fill('/chain'), '/hang']);
  });

  it('tells the server log the real cause, which the caller never sees', async () => {
    const failures: { host: string; reason: string }[] = [];
    configureOutbound({ allowPrivateHosts: [], onFailure: (f) => failures.push(f) });
    await failureOf(`http://localhost:${internal.port}/admin?token=secret`);
    await failureOf('http://credbridge-outbound-test.invalid/');
    expect(failures).toEqual([
      {
        host: `localhost:${internal.port}`,
        reason: expect.stringMatching(/localhost \((127\.0\.0\.1|::1)\) is loopback/),
      },
      { host: 'credbridge-outbound-test.invalid', reason: expect.stringContaining('ENOTFOUND') },
    ]);
    expect(JSON.stringify(failures)).not.toContain('secret');
  });

  it('refuses metadata addresses at once, without opening a socket', async () => {
    const sockets: unknown[] = [];
    const onSocket = (message: unknown) => sockets.push(message);
    subscribe('net.client.socket', onSocket);
    try {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://100.100.100.200/latest/meta-data/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://[::ffff:169.254.169.254]/latest/meta-data/',
      ]) {
        const started = Date.now();
        expect(await failureOf(url)).toBe(SAME_FAILURE);
        // A connection attempt to a non-routed address would wait for the 10 s connect timeout.
        expect(Date.now() - started).toBeLessThan(1_000);
      }
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
    expect(sockets).toHaveLength(0);
  });
});

describe('allowed hosts', () => {
  it('reach the allowed host:port, and nothing else of the same machine', async () => {
    const res = await outboundFetch(`${lmsUrl}/`);
    expect(await res.json()).toEqual({ ok: true });
    expect(await failureOf(`${internalUrl}/`)).toBe(SAME_FAILURE);
    expect(internal.seen).toHaveLength(0);
  });

  it('follow a redirect to another allowed origin without the credentials or the body', async () => {
    const to = `${otherUrl}/landing`;
    const headers = { authorization: 'Bearer lms-token', cookie: 'session=s', 'content-type': 'text/plain' };
    expect(
      await (
        await outboundFetch(`${lmsUrl}/go?to=${to}&status=307`, {
          method: 'POST',
          headers,
          body: 'wstoken=secret',
        })
      ).text(),
    ).toBe('other');
    const [landed] = other.seen;
    expect(landed!.headers.authorization).toBeUndefined();
    expect(landed!.headers.cookie).toBeUndefined();
    expect(landed!.body).toBe('');
    // The first hop had them: the origin they were meant for.
    expect(lms.seen[0]!.headers.authorization).toBe('Bearer lms-token');
    expect(lms.seen[0]!.body).toBe('wstoken=secret');
  });

  it('keep credentials and a 307 body on the same origin; a 303 becomes a GET', async () => {
    const headers = { authorization: 'Bearer lms-token', 'content-type': 'text/plain' };
    await outboundFetch(`${lmsUrl}/go?to=/same&status=307`, { method: 'POST', headers, body: 'a=1' });
    expect(lms.seen[1]).toMatchObject({ method: 'POST', url: '/same', body: 'a=1' });
    expect(lms.seen[1]!.headers.authorization).toBe('Bearer lms-token');
    await outboundFetch(`${lmsUrl}/go?to=/seen&status=303`, { method: 'POST', headers, body: 'a=1' });
    expect(lms.seen[3]).toMatchObject({ method: 'GET', url: '/seen', body: '' });
  });

  it("return the redirect itself for redirect: 'manual' (jose's JWKS fetch)", async () => {
    const res = await outboundFetch(`${lmsUrl}/go?to=${internalUrl}/`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(internal.seen).toHaveLength(0);
  });
});

describe('each client says the same', () => {
  it('registration, Moodle and Canvas clients report an internal URL as unreachable, nothing more', async () => {
    await expect(fetchJson(`${internalUrl}/.well-known/openid-configuration`, {})).rejects.toMatchObject({
      status: 502,
      code: 'platform_unreachable',
      message: `The platform at 127.0.0.1:${internal.port} could not be reached.`,
    });
    const moodle = new MoodleWsClient({ baseUrl: internalUrl, token: 'ws-token' });
    await expect(moodle.call('core_webservice_get_site_info')).rejects.toMatchObject({
      errorcode: 'unreachable',
      message: `Moodle is unreachable: 127.0.0.1:${internal.port} could not be reached`,
    });
    const canvas = new CanvasClient({ baseUrl: internalUrl, token: 'canvas-token', maxRetries: 0 });
    await expect(canvas.get('/courses/1')).rejects.toMatchObject({
      status: 0,
      message: `Canvas is unreachable: 127.0.0.1:${internal.port} could not be reached`,
    });
    expect(internal.seen).toHaveLength(0);
  });
});

describe('through the running tool', () => {
  let tool: ToolUnderTest;
  let sim: PlatformSimulator;
  let clientId: string;
  let institution: string;

  beforeAll(async () => {
    sim = await new PlatformSimulator().start();
    sim.addUser('3', 'Terry Teacher');
    sim.addCourse('2', 'Outbound 101');
    sim.enrol('2', '3', 'Instructor');
    // The simulator and the stand-in LMS are allowed; the internal service is on the same machine, another port.
    tool = await startTool({
      OUTBOUND_ALLOW_PRIVATE_HOSTS: `${new URL(sim.url).host},127.0.0.1:${lms.port}`,
    });
    const { institutionId } = await createTestInstitution(tool);
    institution = institutionId;
    ({ clientId } = await registerThroughLink(sim, tool.url, institutionId));
  }, 60_000);

  afterAll(async () => {
    await tool?.close();
    await sim?.stop();
  });

  beforeEach(() => {
    // What the tool set at its start (createLti); the file-wide beforeEach set the stand-ins' allowance.
    configureOutbound({ allowPrivateHosts: tool.config.OUTBOUND_ALLOW_PRIVATE_HOSTS });
    internal.seen.length = 0;
  });

  /**
   * Dynamic registration through a valid registration link of the institution (the link was shared, or its
   * holder was fooled), with the platform's configuration URL in the query.
   */
  const register = async (configUrl: string) => {
    const query = new URLSearchParams({ openid_configuration: configUrl, registration_token: 'reg-token' });
    return new Browser().get(`${await registrationLinkFor(tool.url, institution)}?${query}`);
  };

  it('refuses a registration that leads to the internal service', async () => {
    const internalHost = `127.0.0.1:${internal.port}`;
    const lmsHost = `127.0.0.1:${lms.port}`;
    // [configuration URL, the host the page names]
    const attempts: [string, string][] = [
      [`${internalUrl}/openid`, internalHost],
      [`http://localhost:${internal.port}/openid`, `localhost:${internal.port}`],
      [`${lmsUrl}/go?to=${internalUrl}/openid`, lmsHost], // an allowed platform that redirects there
      [`${lmsUrl}/openid`, internalHost], // a configuration whose registration endpoint is there
    ];
    for (const [configUrl, host] of attempts) {
      const page = await register(configUrl);
      expect(page.status).toBe(502);
      expect(page.body).toContain('platform_unreachable');
      expect(page.body).toContain(`The platform at ${host} could not be reached.`);
    }
    expect(internal.seen).toHaveLength(0);
  });

  it("refuses a launch whose platform's JWKS URL is internal", async () => {
    await LtiPlatform.updateOne({ clientId }, { $set: { jwksUrl: `${internalUrl}/jwks` } });
    try {
      const browser = new Browser();
      const { url, params } = sim.loginRequest(clientId, '3', '2');
      const form = readForm(await browser.get(`${url}?${new URLSearchParams(params)}`));
      const page = await browser.post(form.action, form.fields);
      expect(page.status).toBe(502);
      expect(page.body).toContain('jwks_unavailable');
      expect(internal.seen).toHaveLength(0);
    } finally {
      await LtiPlatform.updateOne({ clientId }, { $set: { jwksUrl: sim.jwksUrl } });
    }
  });

  it('refuses a service token from an internal token URL, saying only that it is unreachable', async () => {
    const { api, courseUrlId } = await launchInstructor(sim, clientId, '3', '2');
    await LtiPlatform.updateOne({ clientId }, { $set: { tokenUrl: `${internalUrl}/token` } });
    try {
      const res = await api(tool.url, `/lti/api/courses/${courseUrlId}/members`);
      expect(res).toEqual({
        status: 502,
        body: {
          error: {
            code: 'platform_service_error',
            message: `The LMS answered 502: unreachable (127.0.0.1:${internal.port} could not be reached)`,
          },
        },
      });
      expect(internal.seen).toHaveLength(0);
    } finally {
      await LtiPlatform.updateOne({ clientId }, { $set: { tokenUrl: sim.tokenUrl } });
    }
  });
});
