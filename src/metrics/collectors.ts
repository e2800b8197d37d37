import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { IssuanceRequest, REQUEST_STATES } from '../issuance/request-model.js';
import { registry } from './metrics.js';

/** Job states a queue's depth is reported in. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

/** The queues this process reports; a process (or a test's app) adds its own and removes them on close. */
const sources = new Set<() => Queue[]>();

/** Reports `queues` on scrape from now on; the returned function stops it. */
export function reportQueues(queues: () => Queue[]): () => void {
  sources.add(queues);
  return () => sources.delete(queues);
}

const reported = () => [...new Map([...sources].flatMap((s) => s()).map((q) => [q.name, q])).values()];

/**
 * Reads for a gauge, or none while what it reads is unreachable: a scrape still gets every other metric (and
 * the missing series is what an alert on absent data sees).
 */
async function orNothing(read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch {
    // Left without samples for this scrape.
  }
}

/*
 * Gauges read when Prometheus scrapes: each queue's jobs by state and the age of its oldest waiting job (a growing
 * backlog), and the issuance requests by state (MongoDB holds the truth).
 */
new Gauge({
  name: 'credbridge_queue_jobs',
  help: 'Jobs in a queue, by queue and state',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    await orNothing(async () => {
      for (const queue of reported()) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    });
  },
});

new Gauge({
  name: 'credbridge_queue_oldest_waiting_seconds',
  help: 'Age of the oldest job waiting in a queue (0: none waits)',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    await orNothing(async () => {
      for (const queue of reported()) {
        // The first (oldest) job of each waiting list.
        const firsts = await queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
        const oldest = Math.min(...firsts.map((job) => job.timestamp));
        this.set(
          { queue: queue.name },
          Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0,
        );
      }
    });
  },
});

new Gauge({
  name: 'credbridge_issuance_requests',
  help: 'Issuance requests by state, across the installation',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    await orNothing(async () => {
      // One count per state, each on the { state, updatedAt } index.
      const counts = await Promise.all(
        REQUEST_STATES.map((state) => IssuanceRequest.countDocuments({ state })),
      );
      REQUEST_STATES.forEach((state, i) => this.set({ state }, counts[i]!));
    });
  },
});
