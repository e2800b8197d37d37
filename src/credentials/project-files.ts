import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module holding package.json (works from src/ and dist/src/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (package.json next to config/)');
    dir = parent;
  }
}

export const projectRoot = findRoot();

export function projectPath(...parts: string[]): string {
  return join(projectRoot, ...parts);
}

export function readProjectJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(projectPath(...parts), 'utf8')) as T;
}
