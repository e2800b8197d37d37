/**
 * Spaces out requests to each LMS: at most `perSecond` requests start per second per key (a platform), in
 * arrival order, and a 429's Retry-After pauses the whole key, not just the one request that got it. One
 * limiter per process; several workers each keep to the rate, so the setting is per process.
 */
export class KeyedRateLimiter {
  private readonly keys = new Map<string, { nextSlot: number; pausedUntil: number }>();
  private intervalMs: number;

  constructor(
    perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.intervalMs = 1000 / perSecond;
  }

  setRate(perSecond: number): void {
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when a request to `key` may start. */
  async acquire(key: string): Promise<void> {
    for (;;) {
      const state = this.state(key);
      const slot = Math.max(this.now(), state.nextSlot, state.pausedUntil);
      state.nextSlot = slot + this.intervalMs;
      const wait = slot - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // A Retry-After that arrived while we waited moves our turn behind the pause.
      if (this.state(key).pausedUntil <= slot) return;
    }
  }

  /** No request to `key` starts before `untilMs` (epoch ms). */
  pause(key: string, untilMs: number): void {
    const state = this.state(key);
    state.pausedUntil = Math.max(state.pausedUntil, untilMs);
  }

  private state(key: string) {
    let state = this.keys.get(key);
    if (!state) {
      state = { nextSlot: 0, pausedUntil: 0 };
      this.keys.set(key, state);
    }
    return state;
  }
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from `now`, or
 * undefined when the header is absent or unreadable.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The process's limiter of LTI service calls; LMS_REQUESTS_PER_SECOND sets its rate at start. */
export const lmsRateLimiter = new KeyedRateLimiter(10);
