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
