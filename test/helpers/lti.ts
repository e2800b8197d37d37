import { Browser, readForm } from '../simulator/browser.js';
import { createTestInstitution, publishExampleTemplate, registerThroughLink } from './institution.js';
import type { PlatformSimulator } from '../simulator/platform.js';
import type { ToolUnderTest } from './tool.js';

/**
 * What an institution has before instructors start, set up as the README's production steps do: the
 * institution and its issuer, the tool registered through one of its registration links and activated in
 * the LMS, the example template published.
 */
export async function setUpInstitution(
  sim: PlatformSimulator,
  tool: ToolUnderTest,
  options: { institutionId?: string } = {},
): Promise<{ clientId: string; templateKey: string; institutionId: string }> {
  const { institutionId } = await createTestInstitution(tool, {
    ...(options.institutionId ? { id: options.institutionId, rootDid: false } : {}),
  });
  const { clientId } = await registerThroughLink(sim, tool.url, institutionId);
  const templateKey = await publishExampleTemplate(institutionId);
  return { clientId, templateKey, institutionId };
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

/**
 * Enables a template in the instructor's course with results the instructor imports (CSV): one outcome, met by
 * one assessment at `percent`. Returns the binding's id and its API path.
 */
export async function enableManualBinding(
  instructor: Awaited<ReturnType<typeof launchInstructor>>,
  toolUrl: string,
  templateKey: string,
  assessment: { itemId: string; percent: number },
): Promise<{ bindingId: string; path: string }> {
  return enableAssessmentRule(instructor, toolUrl, templateKey, assessment, 'manual');
}

/** Enables a template with one outcome met by one assessment at `percent`, its grades from `source`. */
export async function enableAssessmentRule(
  instructor: Awaited<ReturnType<typeof launchInstructor>>,
  toolUrl: string,
  templateKey: string,
  assessment: { itemId: string; percent: number },
  source?: 'manual',
): Promise<{ bindingId: string; path: string }> {
  const bindings = `/lti/api/courses/${instructor.courseUrlId}/bindings`;
  const created = await instructor.api(toolUrl, bindings, {
    method: 'POST',
    body: {
      templateKey,
      ...(source ? { source } : {}),
      rule: {
        outcomes: [
          {
            outcome: 0,
            evidence: [
              {
                kind: 'assessment',
                itemId: assessment.itemId,
                threshold: { unit: 'percent', value: assessment.percent },
              },
            ],
          },
        ],
      },
    },
  });
  if (created.status !== 201)
    throw new Error(`enabling the template failed: ${created.status} ${JSON.stringify(created.body)}`);
  const bindingId = String(created.body._id);
  return { bindingId, path: `${bindings}/${bindingId}` };
}
