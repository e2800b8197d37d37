import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';

/** An error whose message is safe to show to the caller, with the HTTP status and a stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Turns every error into `{error: {code, message}}`; internal details go to the log, never to the caller. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let httpError: HttpError;
    const parserError = err as BodyParserError;
    if (err instanceof HttpError) {
      httpError = err;
    } else if (parserError?.type === 'entity.too.large') {
      httpError = new HttpError(413, 'payload_too_large', 'Request body is larger than allowed');
    } else if (parserError?.type === 'entity.parse.failed') {
      httpError = new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
    } else {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
      httpError = new HttpError(500, 'internal_error', 'Something went wrong on our side');
    }
    if (res.headersSent) return;
    res.status(httpError.status).json({
      error: {
        code: httpError.code,
        message: httpError.message,
        ...(httpError.details ? { details: httpError.details } : {}),
      },
    });
  };
}
