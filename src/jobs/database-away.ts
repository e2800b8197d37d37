import { DelayedError, type Job, type Processor } from 'bullmq';
import { isDatabaseUnavailable } from '../db/connection.js';

/**
 * A job that failed because the database could not be reached (a restart, an election) is not at fault: it
 * runs again `retryMs` later without spending an attempt, however long the outage, so work started during an
 * outage finishes soon after it instead of failing for good or waiting out a backoff grown with the outage.
 */
export function retryWhileDatabaseAway<D, R>(processor: Processor<D, R>, retryMs: number): Processor<D, R> {
  return async (job: Job<D, R>, token?: string, signal?: AbortSignal) => {
    try {
      return await processor(job, token, signal);
    } catch (err) {
      if (!isDatabaseUnavailable(err) || !token) throw err;
      await job.moveToDelayed(Date.now() + retryMs, token);
      throw new DelayedError();
    }
  };
}
