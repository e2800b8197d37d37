import { readFileSync } from 'node:fs';
import { startSession } from '../../src/web/sessions.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createAdminUser } from '../../src/accounts/accounts.js';
import { importTemplate, TemplateError } from '../../src/templates/lifecycle.js';
import { templateSchema } from '../../src/templates/schema.js';
import { Template } from '../../src/templates/template-model.js';
import { startTool, type ToolUnderTest } from '../helpers/tool.js';

/**
 * Property-based fuzzing of template import, directly (importTemplate) and through the admin console's route:
 * valid templates mutated at random places (values replaced by any JSON, keys deleted, operator, dotted and
 * prototype keys added, huge and control-character strings) and arbitrary text. Never a crash or a 500: only
 * stored drafts or 400s whose every line names a field. Afterwards every stored template is valid.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

const SAMPLE = JSON.parse(readFileSync('config/templates/applied-data-analysis.json', 'utf8')) as Json;
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}
const PATHS = pathsOf(SAMPLE);

const weirdKeys = ['$gt', '$where', '__proto__', 'constructor', 'a.b', '', 'en ', 'EN'];
const weirdValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    '',
    '   ',
    'x'.repeat(5_000),
    '\u0000\u202e',
    '<script>alert(1)</script>',
    { $gt: '' },
    -1,
    0,
    1e308,
    null,
    [],
    {},
    'http://',
    'javascript:alert(1)',
    '2024-02-30',
  ),
  fc.string({ maxLength: 50 }),
);
const mutation = fc.record({
  at: fc.nat(PATHS.length - 1),
  kind: fc.constantFrom('replace', 'delete', 'addKey', 'duplicate'),
  key: fc.constantFrom(...weirdKeys),
  value: weirdValue,
});

interface Mutation {
  at: number;
  kind: string;
  key: string;
  value: Json;
}

function mutate(base: Json, mutations: Mutation[]) {
  const doc = structuredClone(base);
  for (const m of mutations) {
    const path = PATHS[m.at]!;
    if (path.length === 0) continue;
    let parent: Json = doc;
    for (const step of path.slice(0, -1)) {
      parent = (parent as Record<string | number, Json> | undefined)?.[step] as Json;
      if (parent === undefined || parent === null || typeof parent !== 'object') break;
    }
    if (parent === undefined || parent === null || typeof parent !== 'object') continue;
    const last = path[path.length - 1]!;
    const container = parent as Record<string | number, Json>;
    if (m.kind === 'replace') container[last] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else delete container[last];
    } else if (m.kind === 'addKey' && !Array.isArray(container)) {
      // An own property even for "__proto__", as JSON.parse makes it.
      Object.defineProperty(container, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (m.kind === 'duplicate' && Array.isArray(container)) {
      for (let i = 0; i < 30; i++) container.push(structuredClone(container[Number(last)] ?? null));
    }
  }
  return doc;
}

/** A mutated valid template (most inputs), or any JSON at all. */
const templateInput = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(SAMPLE, ms)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json> },
);

/** A problem line names the field it is about: "path.to.field: message" or "(root): message". */
const NAMES_A_FIELD = /^(\(root\)|[\w$.\- ]+(\.[\w$.\- ]+)*): \S/;

let tool: ToolUnderTest;
const accepted = new Set<string>();

beforeAll(async () => {
  tool = await startTool({ RATE_LIMIT_DISABLED: 'true' });
}, 60_000);
afterAll(async () => {
  await tool?.close();
});

describe('template JSON fuzzing', () => {
  it('importTemplate stores a draft or refuses with problems naming fields; nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(templateInput, async (input) => {
        const json = JSON.parse(JSON.stringify(input)) as unknown; // as it arrives over the wire
        try {
          const stored = await importTemplate('fuzz-u', json);
          accepted.add(`${stored.key}@${stored.version}`);
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError);
          const problems = (err as TemplateError).problems;
          expect((err as TemplateError).code).toBe('invalid');
          expect(problems.length).toBeGreaterThan(0);
          for (const p of problems) expect(p).toMatch(NAMES_A_FIELD);
        }
      }),
      { numRuns: RUNS },
    );
  }, 180_000);

  it('the admin route answers 303 or 400 naming fields, never 500, and the process keeps serving', async () => {
    await createAdminUser('fuzz-admin', 'correct horse battery staple', 'fuzz-u');
    const { token, csrfToken } = await startSession('console', { username: 'fuzz-admin' }, 3_600_000);
    const cookie = `credbridge_admin=${token}`;
    const text = fc.oneof(
      { weight: 4, arbitrary: templateInput.map((t) => JSON.stringify(t)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    );
    await fc.assert(
      fc.asyncProperty(text, async (template) => {
        const res = await fetch(`${tool.url}/admin/templates`, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie,
            accept: 'application/json',
          },
          body: new URLSearchParams({ _csrf: csrfToken, template }).toString(),
        });
        if (res.status === 303) {
          accepted.add(decodeURIComponent(res.headers.get('location')!.split('/').slice(-2).join('@')));
          return;
        }
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { code: string; message: string; details?: string[] } };
        expect(['template_invalid', 'invalid_json']).toContain(body.error.code);
        if (body.error.code === 'template_invalid') {
          expect(body.error.details!.length).toBeGreaterThan(0);
          for (const p of body.error.details!) expect(p).toMatch(NAMES_A_FIELD);
        } else {
          expect(body.error.message).toMatch(/^template: /);
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
    expect((await fetch(`${tool.url}/healthz`)).status).toBe(200);
  }, 180_000);

  it('every template in the collection is valid, and only the accepted ones were stored', async () => {
    const stored = await Template.find().lean();
    expect(accepted.size).toBeGreaterThan(0); // the fuzzing reached the store, not only the refusals
    expect(stored.length).toBe(accepted.size);
    for (const doc of stored) {
      expect(accepted.has(`${doc.key}@${doc.version}`)).toBe(true);
      const { version: _v, status: _s, ...data } = doc.data as Record<string, unknown>;
      const parsed = templateSchema.safeParse(data);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      expect(doc.status).toBe('draft');
    }
  });
});
