import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DASHBOARD_READ_PREFERENCES } from '../db/connection.js';
import { parseRedisUrl } from '../queue/redis-topology.js';
import { parseHostAllowances } from '../net/allowed-hosts.js';
import { readTrustAnchors } from '../seals/trust-anchors.js';

/**
 * Every setting the processes read, with its default. `.env.example` documents each one;
 * test/unit/config.test.ts fails when the two drift apart.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** A DID (DID Core syntax, no path, query or fragment); did:key only in the forms verification resolves. */
const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/;
const KNOWN_DID_KEY = /^did:key:(z6Mk|zDn|z82)[1-9A-HJ-NP-Za-km-z]{40,}$/;
const untrustable = (id: string) =>
  /^https:\/\/[^\s#]+$/.test(id)
    ? false
    : !DID.test(id) || (id.startsWith('did:key:') && !KNOWN_DID_KEY.test(id));

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port.default(3000),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\/.+/, 'must be a mongodb:// or mongodb+srv:// URI'),
  /** One server, Sentinel or Cluster: src/queue/redis-topology.ts, the README's scaling section. */
  REDIS_URL: z.string().superRefine((url, ctx) => {
    const topology = parseRedisUrl(url);
    if ('problem' in topology) ctx.addIssue({ code: 'custom', message: topology.problem });
  }),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, "_" and "-" only')
    .default('credbridge'),
  WORKER_CONCURRENCY: positiveInt.max(256).default(8),
  WORKER_HEALTH_PORT: port.default(3001),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
  READINESS_TIMEOUT_MS: positiveInt.default(2_000),
  DB_RECONNECT_AFTER_MS: positiveInt.min(1_000).default(30_000),
  DB_SOCKET_TIMEOUT_MS: positiveInt.min(1_000).default(120_000),
  DB_DASHBOARD_READ_PREFERENCE: z.enum(DASHBOARD_READ_PREFERENCES).default('primary'),
  MAINTENANCE_INTERVAL_MS: positiveInt.default(3_600_000),
  AUDIT_RETENTION_DAYS: positiveInt.default(365),
  KEY_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  /** Earlier keys still read during a key-encryption key rotation: comma-separated, base64. */
  KEY_ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .refine(
      (v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32),
      'comma-separated keys of 32 bytes each, base64-encoded',
    )
    .optional(),
  ADMIN_API_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  /** Bearer token of GET /metrics on the web and worker processes (Prometheus); unset: no metrics served. */
  METRICS_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  LTI_INSECURE_COOKIES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  LTI_SESSION_TTL_MINUTES: positiveInt.max(10_080).default(480),
  JOB_LOCK_MS: positiveInt.min(1_000).default(30_000),
  ISSUE_ATTEMPTS: positiveInt.max(50).default(5),
  ISSUE_BACKOFF_MS: positiveInt.default(5_000),
  ISSUE_CLAIM_TIMEOUT_MS: positiveInt.default(120_000),
  RECONCILE_INTERVAL_MS: positiveInt.default(60_000),
  SYNC_INTERVAL_MS: positiveInt.default(900_000),
  SYNC_ACTIVE_DAYS: positiveInt.default(14),
  SYNC_DEBOUNCE_MS: z.coerce.number().int().min(0).default(30_000),
  LMS_REQUESTS_PER_SECOND: positiveInt.max(1_000).default(10),
  LMS_TIMEOUT_MS: positiveInt.min(100).default(15_000),
  /** Hosts (`host` or `host:port`, comma-separated) whose URLs may reach private and loopback addresses. */
  OUTBOUND_ALLOW_PRIVATE_HOSTS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      const { malformed } = parseHostAllowances(v);
      if (malformed.length)
        ctx.addIssue({
          code: 'custom',
          message: `not a host or host:port (IPv6 as [::1]:port): ${malformed.map((e) => `"${e}"`).join(', ')}`,
        });
    })
    .transform((v) =>
      v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
    ),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Credbridge <no-reply@localhost>'),
  LEARNER_LINK_TTL_DAYS: positiveInt.max(3_650).default(90),
  ADMIN_SESSION_TTL_MINUTES: positiveInt.max(1_440).default(120),
  RATE_LIMIT_DISABLED: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  RATE_LIMIT_LOGIN_PER_MINUTE: positiveInt.default(10),
  RATE_LIMIT_VERIFY_PER_MINUTE: positiveInt.default(60),
  /** PEM file of certificate authorities trusted for outbound HTTPS besides the public roots. */
  OUTBOUND_CA_FILE: z
    .string()
    .optional()
    .transform((file, ctx) => {
      if (!file) return undefined;
      try {
        const pem = readFileSync(file, 'utf8');
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
        return pem;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot use ${file}: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /**
   * PEM file of CA certificates a sealed European credential's certificate must chain up to for its seal to be
   * trusted (a QTSP's CA, or the CA certificates of a copy of an EU trusted list). Read at start; never fetched.
   */
  SEAL_TRUST_ANCHORS: z
    .string()
    .optional()
    .transform((file, ctx) => {
      if (!file) return [];
      try {
        const anchors = readTrustAnchors(readFileSync(file, 'utf8'));
        if (!anchors.length) throw new Error('no PEM certificate in it');
        return anchors.map((a) => a.toString());
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot use ${file}: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /**
   * RFC 3161 time-stamping authority: when set, every seal gets a signature time-stamp (JAdES baseline B-T),
   * requested through the outbound guard. Unset: seals are baseline B-B.
   */
  TSA_URL: z.url({ protocol: /^https?$/, error: 'TSA_URL must be an http or https URL' }).optional(),
  /**
   * JSON-LD contexts accepted besides the bundled ones, comma-separated `URL=FILE`: served from the file, never
   * fetched. For credentials issued or verified here that name them (docs/vc-api.md).
   */
  EXTRA_CONTEXTS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const contexts = new Map<string, object>();
      for (const entry of v
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const at = entry.indexOf('=');
        const [url, file] = [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
        if (at < 1 || !/^https?:\/\/\S+$/.test(url) || !file) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not URL=FILE` });
          continue;
        }
        try {
          const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
          if (!doc || typeof doc !== 'object' || !('@context' in doc)) throw new Error('no @context in it');
          contexts.set(url, doc);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `${url}: cannot use ${file}: ${(err as Error).message}` });
        }
      }
      return contexts;
    }),
  /** Issuers recognised besides this installation's own (comma-separated DIDs or https URLs); docs/security.md. */
  TRUSTED_ISSUERS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((did) => did.trim())
        .filter(Boolean),
    )
    .superRefine((dids, ctx) => {
      const bad = dids.filter(untrustable);
      if (bad.length)
        ctx.addIssue({
          code: 'custom',
          message: `not a DID or https URL: ${bad.join(', ')} (comma-separated; a did:key must be Ed25519 z6Mk..., P-256 zDn... or P-384 z82...)`,
        });
    }),
  /**
   * Wallet app schemes a wallet's authorization code may be sent to besides https and reverse-domain schemes
   * (comma-separated, without the colon); docs/wallets.md.
   */
  WALLET_REDIRECT_SCHEMES: z
    .string()
    .default('eudi-openid4ci')
    .transform((v) =>
      v
        .split(',')
        .map((scheme) => scheme.trim().toLowerCase())
        .filter(Boolean),
    )
    .superRefine((schemes, ctx) => {
      const bad = schemes.filter(
        (x) => !/^[a-z][a-z0-9+.-]*$/.test(x) || ['http', 'https', 'javascript', 'data', 'file'].includes(x),
      );
      if (bad.length)
        ctx.addIssue({
          code: 'custom',
          message: `not a wallet app scheme: ${bad.join(', ')} (comma-separated names such as eudi-openid4ci, no colon)`,
        });
    }),
  /** How long a stored credential's verification result is reused (seconds; 0: not cached). */
  VERIFY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  RATE_LIMIT_VC_API_PER_MINUTE: positiveInt.default(300),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Settings valid alone but not together. Read from the raw values (the schema's enums take them exactly as
 * written) so they are named with any other problem, not only once the rest parses.
 */
function combinationProblems(present: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (present.NODE_ENV === 'production' && present.LTI_INSECURE_COOKIES === 'true')
    problems.push(
      'LTI_INSECURE_COOKIES: must not be true with NODE_ENV=production: it sends the LTI session cookies ' +
        'without Secure, so they would travel over plain HTTP (plain-HTTP development only, docs/lti.md)',
    );
  return problems;
}

/** Parses settings from `env`; throws a ConfigError naming every missing or malformed setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", so defaults apply and required settings are reported as missing.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  const problems = combinationProblems(present);
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new ConfigError([
    ...(parsed.error?.issues ?? []).map((issue) => {
      const name = issue.path.join('.');
      return present[name] === undefined ? `${name} is required but not set` : `${name}: ${issue.message}`;
    }),
    ...problems,
  ]);
}
