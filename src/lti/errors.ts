import { HttpError } from '../web/errors.js';

/** A refused LTI message or call: `code` is stable for tests and logs, `message` is safe to show. */
export class LtiError extends HttpError {
  constructor(status: number, code: string, message: string) {
    super(status, code, message);
    this.name = 'LtiError';
  }
}

/** A platform service (AGS, NRPS, token endpoint) answered with an error. */
export class LtiServiceError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly url: string,
  ) {
    super(`${status} ${reason}`);
    this.name = 'LtiServiceError';
  }
}

/** An LMS service that answered with an error is the LMS's fault (502), said with its status and reason. */
export function platformServiceError(err: unknown): never {
  if (err instanceof LtiServiceError)
    throw new LtiError(502, 'platform_service_error', `The LMS answered ${err.status}: ${err.reason}`);
  throw err;
}
