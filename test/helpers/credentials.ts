import { readFileSync } from 'node:fs';
import type { Ed25519KeyPair } from '@digitalbazaar/ed25519-multikey';
import type { EvidenceInput } from '../../src/credentials/award.js';
import type { DocumentLoader } from '../../src/credentials/document-loader.js';
import { issueCredentialPair, type SignedPair } from '../../src/credentials/issue-pair.js';
import { templateSchema, type TemplateData } from '../../src/templates/schema.js';
import { projectPath } from '../../src/credentials/project-files.js';
import type { CredentialView } from '../../src/ui/credential-view.js';

export const EXAMPLE_TEMPLATE_FILE = projectPath('config', 'templates', 'applied-data-analysis.json');

/** The shipped example template: every mandatory and optional element filled. */
export function exampleTemplate(): TemplateData {
  return templateSchema.parse(JSON.parse(readFileSync(EXAMPLE_TEMPLATE_FILE, 'utf8')));
}

export const LEARNER = {
  fullName: 'Ana Andromeda',
  givenName: 'Ana',
  familyName: 'Andromeda',
  email: 'ana@example.org',
  dateOfBirth: '1999-10-02',
  nationalId: { country: 'IT', value: 'LA-234218' },
};

/** Changes one character of a string value deep in a signed document. */
export function tamper(doc: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const copy = structuredClone(doc);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  const value = node[last] as string;
  node[last] = value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');
  return copy;
}

/** The example template's pair for LEARNER, signed by `key` as its first awarding body (no status entries). */
export function issueExamplePair(
  key: Ed25519KeyPair,
  documentLoader: DocumentLoader,
  award: { credentialId: string; evidence: EvidenceInput },
): Promise<SignedPair> {
  const template = exampleTemplate();
  return issueCredentialPair({
    template,
    issuer: { did: key.controller!, profile: template.awardingBodies![0]! },
    learner: LEARNER,
    ...award,
    publicUrl: 'https://credbridge.example.org',
    key,
    documentLoader,
  });
}

/** A credential as a person sees it (what the certificate and the e-mail are made from), with `overrides`. */
export function sampleCredentialView(overrides: Partial<CredentialView> = {}): CredentialView {
  return {
    id: 'c1',
    title: 'Applied Data Analysis with Python',
    description: '',
    issuer: 'Atlantic Polytechnic Institute',
    learnerName: 'Zoë Ó Súilleabháin',
    issuedAt: new Date('2026-12-01T10:00:00Z'),
    validUntil: new Date('2031-12-01T10:00:00Z'),
    level: 'EQF 5',
    workload: '2 ECTS',
    outcomes: ['Clean and reshape tabular data'],
    imageIsPng: false,
    state: 'valid',
    ...overrides,
  };
}
