import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { envSchema } from '../../src/config/env.js';

const root = resolve(new URL('../..', import.meta.url).pathname);
const markdownFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('documentation', () => {
  it.each(markdownFiles)('%s has no broken relative link', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    const broken = links
      .filter((link) => !/^[a-z]+:/i.test(link) && !link.startsWith('#'))
      .filter((link) => !existsSync(join(root, dirname(file), link.split('#')[0]!)));
    expect(broken).toEqual([]);
  });

  it('lists every setting in the README configuration table', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const missing = Object.keys(envSchema.shape).filter(
      (name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm').test(readme),
    );
    expect(missing).toEqual([]);
  });
});
