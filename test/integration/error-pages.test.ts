import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * A person whose browser opens a page that cannot be served (the dashboard after the session ended, a mistyped
 * address) reads the reason on a page; API clients and scripts keep getting JSON with the same code.
 */
let tool: ToolUnderTest;
const page = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
}, 120_000);
afterAll(async () => {
  await tool?.close();
});

describe('errors as pages for browsers', () => {
  it('shows a page with the reason when the dashboard is opened without a session', async () => {
    const res = await fetch(`${tool.url}/lti/courses/0123456789abcdef01234567`, { headers: page });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await res.text();
    expect(body).toMatch(/launch the tool again/i);
    expect(body).not.toContain('{"error"');
  });

  it('escapes what the address carries', async () => {
    // Browsers percent-encode < and " in paths; & and ' reach the page as typed.
    const res = await fetch(`${tool.url}/no-such-page/a&b'c`, { headers: page });
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain('/no-such-page/a&amp;b&#39;c');
    expect(body).not.toContain("a&b'c");
  });

  it('keeps JSON for API paths and for clients that do not ask for HTML', async () => {
    const api = await fetch(`${tool.url}/lti/api/courses/0123456789abcdef01234567/bindings`, {
      headers: page,
    });
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBeTruthy();
    const script = await fetch(`${tool.url}/lti/courses/0123456789abcdef01234567`);
    expect(script.status).toBe(401);
    expect(((await script.json()) as { error: { code: string } }).error.code).toBe('no_session');
  });
});
