import { readFileSync } from 'node:fs';
import { createIssuer } from '../../src/issuers/issuers.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import { importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import { Browser, readForm } from '../simulator/browser.js';
import type { PlatformSimulator } from '../simulator/platform.js';
import type { ToolUnderTest } from './tool.js';

/** What an institution has before instructors start: the tool registered and active, an issuer, a template. */
export async function setUpInstitution(
  sim: PlatformSimulator,
  tool: ToolUnderTest,
): Promise<{ clientId: string; templateKey: string }> {
  const registration = await new Browser().get(await sim.registrationUrl(`${tool.url}/lti/register`));
  if (registration.status !== 200) throw new Error(`registration failed: ${registration.status}`);
  const clientId = [...sim.tools.values()].at(-1)!.clientId;
  sim.activateTool(clientId);
  const template = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as {
    awardingBodies: unknown[];
  };
  await createIssuer({
    id: 'demo-university',
    profile: template.awardingBodies[0] as never,
    publicUrl: tool.url,
    kek: parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!),
    isDefault: true,
  });
  const draft = await importTemplate(template);
  await publishTemplate(draft.key, draft.version);
  return { clientId, templateKey: draft.key };
}

/** An instructor's launch through the simulator: the browser with its session, the course id and CSRF token. */
export async function launchInstructor(
  sim: PlatformSimulator,
  clientId: string,
  userId: string,
  courseId: string,
) {
  const browser = new Browser();
  const { url, params } = sim.loginRequest(clientId, userId, courseId);
  const form = readForm(await browser.get(`${url}?${new URLSearchParams(params)}`));
  const page = await browser.post(form.action, form.fields);
  const courseUrlId = /\/lti\/courses\/([0-9a-f]{24})$/.exec(page.url)?.[1];
  const csrf = /data-csrf="([^"]+)"/.exec(page.body)?.[1];
  if (!courseUrlId || !csrf)
    throw new Error(`instructor launch did not reach the dashboard: ${page.status} ${page.url}`);

  /** A JSON (or text) call to the tool's API in that session. */
  const api = async (
    toolUrl: string,
    path: string,
    init: { method?: string; body?: unknown; csv?: string } = {},
  ) => {
    const res = await fetch(`${toolUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        accept: 'application/json',
        'x-csrf-token': csrf,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.csv !== undefined ? { 'content-type': 'text/csv' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : init.csv,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text.startsWith('{') ? JSON.parse(text) : { text }) as Record<string, unknown>,
    };
  };
  return { browser, courseUrlId, csrf, api };
}
