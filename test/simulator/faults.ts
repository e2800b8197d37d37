import type { NextFunction, Request, Response } from 'express';

/** What a faulty LMS does instead of answering. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'hang'; ms: number }
  | { kind: 'malformed'; body: string };

interface Armed {
  match: RegExp;
  method?: string;
  fault: Fault;
  remaining: number;
}

/**
 * Failure switches for a simulated LMS, kept apart from its behaviour: `inject` arms a fault for the next
 * `times` requests whose path matches; each request that meets one is counted in `hits`. Mounted before the
 * simulator's routes, so every service (token, AGS, NRPS) can be made to fail.
 */
export class FaultInjector {
  private armed: Armed[] = [];
  readonly hits: { path: string; fault: Fault['kind']; status?: number }[] = [];

  inject(match: RegExp, fault: Fault, times = 1, method?: string): this {
    this.armed.push({ match, fault, remaining: times, method });
    return this;
  }

  clear(): void {
    this.armed = [];
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const armed = this.armed.find(
      (a) => a.remaining > 0 && a.match.test(req.path) && (!a.method || a.method === req.method),
    );
    if (!armed) return next();
    armed.remaining--;
    const { fault } = armed;
    this.hits.push({
      path: req.path,
      fault: fault.kind,
      status: fault.kind === 'status' ? fault.status : undefined,
    });
    switch (fault.kind) {
      case 'status':
        res
          .status(fault.status)
          .set(fault.headers ?? {})
          .json(fault.body ?? { reason: `injected ${fault.status}` });
        return;
      case 'hang': {
        const timer = setTimeout(() => next(), fault.ms);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'malformed':
        res.status(200).type('application/json').send(fault.body);
        return;
    }
  };
}
