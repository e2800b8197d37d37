import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { envSchema } from '../../src/config/env.js';
import { SERVICE_CAPABILITIES, SERVICE_FUNCTIONS } from '../../src/grades/moodle-capabilities.js';

const root = resolve(new URL('../..', import.meta.url).pathname);
const markdownFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to "-". */
function headingAnchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('documentation', () => {
  it.each(markdownFiles)('%s has no broken relative link', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    const broken = links
      .filter((link) => !/^[a-z]+:/i.test(link))
      .filter((link) => {
        const [path, anchor] = link.split('#');
        const target = path ? join(root, dirname(file), path) : join(root, file);
        if (!existsSync(target)) return true;
        // An anchor must name a heading of the target, as GitHub forms them.
        return anchor !== undefined && target.endsWith('.md') && !headingAnchors(target).has(anchor);
      });
    expect(broken).toEqual([]);
  });

  it('documents every setting in .env.example', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const missing = Object.keys(envSchema.shape).filter(
      (name) => !new RegExp(`^(# )?${name}=`, 'm').test(example),
    );
    expect(missing).toEqual([]);
  });

  it('lists every setting in the README configuration table', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const missing = Object.keys(envSchema.shape).filter(
      (name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm').test(readme),
    );
    expect(missing).toEqual([]);
  });

  it('lists exactly the Moodle functions and capabilities the grade source needs', () => {
    const guide = readFileSync(join(root, 'docs/grade-sources.md'), 'utf8');
    const moodle = guide.slice(guide.indexOf('## Moodle'), guide.indexOf('### Connection test diagnoses'));
    const functions = moodle.slice(
      moodle.indexOf('with these functions:'),
      moodle.indexOf('Authorise the service user'),
    );
    expect([...functions.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual([...SERVICE_FUNCTIONS]);
    const table = moodle.slice(moodle.indexOf('Capabilities the service user needs:'));
    const capabilities = [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);
    expect(capabilities.sort()).toEqual([...SERVICE_CAPABILITIES].sort());
  });
});
