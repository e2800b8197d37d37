import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values must never reach a log line (credentials, keys, personal contact data). */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.privateKey',
  '*.privateKeyMultibase',
  '*.secret',
  '*.email',
  'password',
  'token',
  'privateKey',
  'secret',
];

export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
