/** A refused LTI message or call: `code` is stable for tests and logs, `message` is safe to show. */
export class LtiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
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
