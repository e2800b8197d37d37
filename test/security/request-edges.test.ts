import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
