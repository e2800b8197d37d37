import { readFileSync } from 'node:fs';
import { createInstitution, type InstitutionInput } from '../../src/institutions/institutions.js';
import { createRegistrationLink, registrationUrl } from '../../src/lti/registration-links.js';
import { parseEncryptionKey } from '../../src/security/encryption.js';
import type { Organisation } from '../../src/templates/schema.js';
import { importTemplate, publishTemplate } from '../../src/templates/lifecycle.js';
import { Browser, type Page } from '../simulator/browser.js';
import type { PlatformSimulator } from '../simulator/platform.js';

export const EXAMPLE_TEMPLATE = 'config/templates/applied-data-analysis.json';

export function exampleTemplate(): Record<string, unknown> & { key: string; awardingBodies: Organisation[] } {
  return JSON.parse(readFileSync(EXAMPLE_TEMPLATE, 'utf8')) as Record<string, unknown> & {
    key: string;
    awardingBodies: Organisation[];
  };
}

/** An institution with its issuer, as `credbridge institution create` makes it (the example's awarding body). */
export async function createTestInstitution(
  tool: { url: string; config: { KEY_ENCRYPTION_KEY?: string } },
  options: Partial<InstitutionInput> = {},
) {
  const { institution, issuer } = await createInstitution(
    { id: 'demo-university', profile: exampleTemplate().awardingBodies[0]!, rootDid: true, ...options },
    { publicUrl: tool.url, kek: parseEncryptionKey(tool.config.KEY_ENCRYPTION_KEY!) },
  );
  return { institutionId: institution._id, issuer };
}

/** The example template imported and published in the institution; returns its key. */
export async function publishExampleTemplate(institutionId: string, overrides: Record<string, unknown> = {}) {
  const draft = await importTemplate(institutionId, { ...exampleTemplate(), ...overrides });
  await publishTemplate(institutionId, draft.key, draft.version);
  return draft.key;
}

/** A registration link of the institution, as its administrator makes one in the console. */
export async function registrationLinkFor(toolUrl: string, institutionId: string): Promise<string> {
  const { token } = await createRegistrationLink(institutionId, 'admin:test');
  return registrationUrl(toolUrl, token);
}

/**
 * Dynamic registration through a fresh registration link of the institution, as a Moodle admin starts it,
 * then "Activate" on the Pending tool. Returns the client id and the tool's finish page.
 */
export async function registerThroughLink(
  sim: PlatformSimulator,
  toolUrl: string,
  institutionId: string,
): Promise<{ clientId: string; page: Page }> {
  const page = await new Browser().get(
    await sim.registrationUrl(await registrationLinkFor(toolUrl, institutionId)),
  );
  if (page.status !== 200)
    throw new Error(`registration failed (${page.status}): ${page.body.slice(0, 300)}`);
  const clientId = [...sim.tools.values()].at(-1)!.clientId;
  sim.activateTool(clientId);
  return { clientId, page };
}
