import type { z } from 'zod';
import { isMessageKey, translator, type Translate } from './catalogs.js';

const english = translator('en');

/** One zod issue in the reader's words: by its code and numbers, or by the catalog key a schema gave as message. */
export function problemText(issue: z.core.$ZodIssue, t: Translate = english): string {
  if (isMessageKey(issue.message)) return t(issue.message);
  switch (issue.code) {
    case 'invalid_type':
      // zod reports a missing field as a wrong type whose input was undefined (its own message says so).
      return /received undefined$/.test(issue.message)
        ? t('problem.required')
        : t('problem.invalidType', { expected: issue.expected });
    case 'too_small':
      return t('problem.tooSmall', { origin: issue.origin, minimum: Number(issue.minimum) });
    case 'too_big':
      return t('problem.tooBig', { origin: issue.origin, maximum: Number(issue.maximum) });
    case 'invalid_format':
      return t('problem.invalidFormat', { format: issue.format.replace(/_/g, '') });
    case 'invalid_value':
      return t('problem.invalidValue', { values: issue.values.map((v) => JSON.stringify(v)).join(', ') });
    case 'unrecognized_keys':
      return t('problem.unrecognizedKeys', { count: issue.keys.length, keys: issue.keys.join(', ') });
    case 'not_multiple_of':
      return t('problem.notMultipleOf', { divisor: Number(issue.divisor) });
    case 'custom':
      // A refinement's own sentence (not a catalog key) is kept: it names what the schema checked.
      return issue.message && issue.message !== 'Invalid input' ? issue.message : t('problem.invalid');
    default:
      return t('problem.invalid');
  }
}

/** zod issues as "path: problem" lines, so errors name the field; English unless a language is given. */
export function describeIssues(error: z.ZodError, t: Translate = english): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${problemText(issue, t)}`,
  );
}
