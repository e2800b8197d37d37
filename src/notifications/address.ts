import { z } from 'zod';

/**
 * One plain address and nothing else: zod's pattern admits no comma, semicolon, space, angle bracket, quote or
 * line break, so no list, display name or header can ride along; RFC 5321 caps the path at 254 characters and
 * the local part at 64 (servers refuse longer ones, which would only be retried).
 */
export const emailAddress = z
  .email()
  .max(254)
  .refine((address) => address.indexOf('@') <= 64, 'the part before "@" is longer than 64 characters');

/**
 * A learner's e-mail address as an LMS roster, a CSV import or a stored request gives it, or undefined when it
 * is not exactly one valid address: nodemailer reads `a@x, b@y` (or `Name <a@x>`) as its own recipient list,
 * so such a value would mail everyone on it. Every roster address passes through here before it is stored,
 * and the mailer checks again before sending.
 */
export function learnerAddress(value: unknown): string | undefined {
  return typeof value === 'string' && emailAddress.safeParse(value).success ? value : undefined;
}
