import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's metrics, in Prometheus form (prom-client): what the pipeline does (issuance, grade syncs, LMS
 * calls), what the public asks (verifications, rate-limit refusals) and the process itself (memory, event-loop
 * lag, from prom-client's defaults). Queue and request gauges are read when scraped (src/metrics/collectors.ts).
 * One registry per process; every module records into these.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'credbridge_' });

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const lmsRequests = new Counter({
  name: 'credbridge_lms_requests_total',
  help: 'Requests to an LMS (LTI Advantage services), by platform, method and HTTP status ("error": no answer)',
  labelNames: ['platform', 'method', 'status'] as const,
  registers: [registry],
});

export const lmsRequestSeconds = new Histogram({
  name: 'credbridge_lms_request_duration_seconds',
  help: 'Time an LMS took to answer one request, by platform',
  labelNames: ['platform'] as const,
  buckets: SECONDS,
  registers: [registry],
});

export const gradeSyncSeconds = new Histogram({
  name: 'credbridge_grade_sync_duration_seconds',
  help: "Time one course's grade sync took, by platform and outcome (ok, failed)",
  labelNames: ['platform', 'outcome'] as const,
  buckets: SECONDS,
  registers: [registry],
});

export const gradeSyncErrors = new Counter({
  name: 'credbridge_grade_sync_errors_total',
  help: 'Grade syncs that failed (retried with backoff), by platform',
  labelNames: ['platform'] as const,
  registers: [registry],
});

export const issueSeconds = new Histogram({
  name: 'credbridge_issue_duration_seconds',
  help: 'Time one issue attempt took (sign both documents, store, write back), by outcome (issued, failed, retried)',
  labelNames: ['outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const credentialsIssued = new Counter({
  name: 'credbridge_credentials_issued_total',
  help: 'Credentials issued by this process (its rate is the issue rate)',
  registers: [registry],
});

export const verifications = new Counter({
  name: 'credbridge_verifications_total',
  help: 'Verifications answered, by what was verified (credential, presentation, stored) and verdict',
  labelNames: ['kind', 'verdict'] as const,
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'credbridge_rate_limited_total',
  help: 'Requests refused with 429 by a rate limit, by limit',
  labelNames: ['limit'] as const,
  registers: [registry],
});

/** Seconds since `started` (performance.now()), for a histogram. */
export const secondsSince = (started: number) => (performance.now() - started) / 1000;
