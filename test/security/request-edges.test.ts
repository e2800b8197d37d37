import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Requests shaped to break the edge of the web app before any authentication: whatever they carry, the answer
 * is a 4xx that names the problem, never a 500 or a stack.
 */
let tool: ToolUnderTest;
/** Levels of nesting a body or query may have (docs/security.md). */
const MAX_NESTING = 64;

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
}, 120_000);
afterAll(async () => {
  await tool?.close();
});

const postJson = (path: string, body: string) =>
  fetch(`${tool.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('deeply nested JSON', () => {
  const objects = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const arrays = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('is refused with a 400 naming where, quickly, on public and signed-in routes alike', async () => {
    for (const path of [
      '/credentials/verify',
      '/lti/api/courses/0123456789abcdef01234567/bindings',
      '/admin/login',
    ]) {
      for (const body of [objects(20_000), arrays(20_000), `{"credential":${arrays(100_000)}}`]) {
        const started = Date.now();
        const res = await postJson(path, body);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(res.status).toBe(400);
        const { error } = (await res.json()) as { error: { code: string; message: string } };
        expect(error.code).toBe('invalid_input');
        expect(error.message).toMatch(
          new RegExp(`^body field ".+": nested deeper than ${MAX_NESTING} levels$`),
        );
        expect(error.message).not.toMatch(/RangeError|stack|at /);
      }
    }
  });

  it(`lets ${MAX_NESTING} levels through to the route`, async () => {
    const res = await postJson('/credentials/verify', objects(MAX_NESTING));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).not.toMatch(/nested deeper/);
  });

  it('still answers afterwards', async () => {
    expect((await fetch(`${tool.url}/healthz`)).status).toBe(200);
  });
});

/** A GET with the path exactly as given: fetch would resolve `..` and `%2e%2e` before sending. */
function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${tool.url}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.path = path;
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  const traversals = [
    '/ui/static/../../package.json',
    '/ui/static/..%2f..%2fpackage.json',
    '/ui/static/..%2F..%2F..%2Fsrc%2Fserver.ts',
    '/ui/static/%2e%2e/%2e%2e/package.json',
    '/ui/static/%2e%2e%2f%2e%2e%2fpackage.json',
    '/ui/static/%252e%252e%252f%252e%252e%252fpackage.json',
    '/ui/static/..%252f..%252fpackage.json',
    '/ui/static/..%5c..%5cpackage.json',
    '/ui/static/app.css%00',
    '/ui/static/no-such-file.css',
  ];

  it.each(traversals)('answers %s with a 4xx that shows no file and no internals', async (path) => {
    for (const accept of ['application/json', 'text/html']) {
      const { status, body } = await rawGet(path, { accept });
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(body).not.toMatch(/credbridge|devDependencies|import |ENOENT|\/work\/|\bat \/|Error:/);
      if (accept === 'application/json') expect(JSON.parse(body)).toEqual({ error: expect.any(Object) });
    }
  });

  it('still serves the real files', async () => {
    const res = await fetch(`${tool.url}/ui/static/app.css`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
  });
});

describe('bodies the JSON parser refuses', () => {
  it('answers an unsupported charset or content encoding with 415, not 500', async () => {
    const refused: Record<string, string>[] = [
      { 'content-type': 'application/json; charset=klingon' },
      { 'content-type': 'application/json', 'content-encoding': 'bogus' },
    ];
    for (const headers of refused) {
      const res = await fetch(`${tool.url}/credentials/verify`, { method: 'POST', headers, body: '{}' });
      expect(res.status).toBe(415);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toMatch(/unsupported (charset|content encoding)/);
    }
  });
});
