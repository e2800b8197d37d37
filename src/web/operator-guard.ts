import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';

/** Finds the path of the first key that MongoDB would read as an operator (`$gt`) or a nested path (`a.b`). */
export function findOperatorKey(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findOperatorKey(item, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key.startsWith('$')) return here;
      const found = findOperatorKey(item, here);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses query strings and JSON bodies that carry MongoDB operators, so no input can turn an
 * equality lookup into `{$gt: ""}`. Schemas at each route validate the rest.
 */
export const rejectOperatorInjection: RequestHandler = (req, _res, next) => {
  for (const [where, value] of [
    ['query', req.query],
    ['body', req.body],
  ] as const) {
    const key = findOperatorKey(value);
    if (key) {
      next(
        new HttpError(
          400,
          'invalid_input',
          `${where} field "${key}" is not allowed: keys may not start with "$"`,
        ),
      );
      return;
    }
  }
  next();
};
