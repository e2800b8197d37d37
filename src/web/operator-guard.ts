import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

/** Levels of objects and arrays a body or query may nest; real inputs (templates included) need far fewer. */
export const MAX_NESTING = 64;

export interface InputProblem {
  /** Where, as `a.b[2].c`. */
  path: string;
  /** `operator`: a key MongoDB would read as an operator (`$gt`); `depth`: nested deeper than allowed. */
  reason: 'operator' | 'depth';
}

/**
 * Finds the first key that MongoDB would read as an operator, or the first object or array nested deeper than
 * `maxNesting`, in document order. Walks with its own stack: JSON.parse accepts a body nested 100,000 levels
 * deep, which a recursive walk would answer with a stack overflow.
 */
export function findInputProblem(value: unknown, maxNesting = MAX_NESTING): InputProblem | undefined {
  const pending: { value: unknown; path: string; level: number; key?: string }[] = [
    { value, path: '', level: 1 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.key?.startsWith('$')) return { path: next.path, reason: 'operator' };
    const { value: item, path, level } = next;
    if (item === null || typeof item !== 'object') continue;
    if (level > maxNesting) return { path, reason: 'depth' };
    const children = Array.isArray(item)
      ? item.map((child, i) => ({ value: child as unknown, path: `${path}[${i}]`, level: level + 1 }))
      : Object.entries(item).map(([key, child]) => ({
          value: child as unknown,
          path: path ? `${path}.${key}` : key,
          level: level + 1,
          key,
        }));
    // Last child first, so the first child is the next one looked at.
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }
  return undefined;
}

/** A path as shown in a message: keys can be as long as the body, so a long one keeps its two ends. */
function shown(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 100)}…${path.slice(-100)}`;
}

/**
 * Refuses query strings and JSON bodies that carry MongoDB operators, so no input can turn an equality lookup
 * into `{$gt: ""}`, or that nest deeper than MAX_NESTING, so no handler walks them. Schemas at each route
 * validate the rest.
 */
export const rejectOperatorInjection: RequestHandler = (req, _res, next) => {
  for (const [where, value] of [
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const problem = findInputProblem(value);
    if (problem) {
      const field = `${where} field "${shown(problem.path)}"`;
      next(
        new HttpError(
          400,
          'invalid_input',
          problem.reason === 'operator'
            ? `${field} is not allowed: keys may not start with "$"`
            : `${field}: nested deeper than ${MAX_NESTING} levels`,
        ),
      );
      return;
    }
  }
  next();
};
