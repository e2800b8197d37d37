import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The floors of the house, read from the imports: lower floors never import higher ones. Each rule names the
 * files it governs and what they must not import. Where the code still breaks a rule, the break is listed in
 * KNOWN below, to be removed by the work that fixes it (issue 19); the test fails when a new break appears,
 * and also when a listed one is gone, so the list only shrinks.
 */
const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module a file imports (static, re-exports and dynamic), project files as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.map((s) =>
    s.startsWith('.') ? relative(ROOT, resolve(dirname(file), s)).replace(/\.js$/, '.ts') : s,
  );
}

const graph = new Map(sources(join(ROOT, 'src')).map((f) => [relative(ROOT, f), importsOf(f)]));

interface Rule {
  name: string;
  governs: (file: string) => boolean;
  forbids: (imported: string) => boolean;
}

const under =
  (...prefixes: string[]) =>
  (path: string) =>
    prefixes.some((p) => path.startsWith(p));
/** The web server (express, routes, sessions), the screens and the queues; protocol clients (AGS, NRPS) are not. */
const HTTP_SCREENS_QUEUES = (m: string) =>
  m === 'express' ||
  m === 'bullmq' ||
  m === 'ioredis' ||
  under('src/web/', 'src/ui/', 'src/queue/', 'src/jobs/')(m) ||
  /^src\/.*routes\.ts$/.test(m);

const RULES: Rule[] = [
  {
    name: 'the credential engine, templates, course rules and grade sources know nothing of HTTP, screens or queues',
    governs: under(
      'src/credentials/',
      'src/templates/',
      'src/courses/',
      'src/grades/',
      'src/seals/',
      'src/wallets/',
    ),
    forbids: HTTP_SCREENS_QUEUES,
  },
  {
    name: 'LTI and notifications import no screen',
    governs: under('src/lti/', 'src/notifications/'),
    forbids: under('src/ui/'),
  },
  {
    name: 'the web layer (sessions, cookies, CSRF, language, error pages) imports no protocol and no screen; only the composition root and its routes do',
    governs: (f) => f.startsWith('src/web/') && f !== 'src/web/app.ts' && !f.startsWith('src/web/routes/'),
    forbids: under('src/lti/', 'src/ui/', 'src/issuance/'),
  },
  {
    name: 'messages, languages and refusals are bottom floors: they import nothing of the project',
    governs: under('src/i18n/', 'src/errors/'),
    forbids: (m) => m.startsWith('src/') && !m.startsWith('src/i18n/') && !m.startsWith('src/errors/'),
  },
  {
    name: 'rendering (the escaping HTML builder) is a bottom floor: it imports nothing of the project',
    governs: under('src/render/'),
    forbids: (m) => m.startsWith('src/') && !m.startsWith('src/render/'),
  },
  {
    name: 'nothing outside the console imports the console (the composition root mounts it)',
    governs: (f) => !f.startsWith('src/ui/admin/') && f !== 'src/web/app.ts',
    forbids: under('src/ui/admin/'),
  },
];

/** Breaks the code still has, each `file -> import`: none since issue 19; a new one fails the test below. */
const KNOWN = new Set<string>([]);

function breaks(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [file, imports] of graph) {
    for (const rule of RULES) {
      if (!rule.governs(file)) continue;
      for (const m of imports.filter(rule.forbids)) {
        const key = `${file} -> ${m}`;
        found.set(key, [...(found.get(key) ?? []), rule.name]);
      }
    }
  }
  return found;
}

describe('import floors', () => {
  it('reads the imports of every source file', () => {
    expect(graph.size).toBeGreaterThan(150);
    // The reader finds relative, re-exported and dynamic imports alike.
    expect(graph.get('src/web/app.ts')).toContain('src/ui/admin/routes.ts');
    expect(graph.get('src/db/models/index.ts')).toContain('src/accounts/accounts.ts');
    expect(graph.get('src/cli/index.ts')).toContain('src/cli/installation.ts');
  });

  it('has no break of a floor beyond the known ones, and each known one still exists', () => {
    const found = breaks();
    const unknown = [...found.keys()]
      .filter((k) => !KNOWN.has(k))
      .map((k) => `${k} (${found.get(k)!.join('; ')})`);
    expect(unknown).toEqual([]);
    const fixed = [...KNOWN].filter((k) => !found.has(k));
    expect(fixed).toEqual([]); // a fixed break leaves KNOWN, so it cannot come back unnoticed
  });

  it('catches a break: a grade source importing express would be one', () => {
    const rule = RULES[0]!;
    expect(rule.governs('src/grades/moodle-ws-source.ts') && rule.forbids('express')).toBe(true);
    expect(RULES[1]!.governs('src/notifications/mailer.ts') && RULES[1]!.forbids('src/ui/layout.ts')).toBe(
      true,
    );
  });
});
