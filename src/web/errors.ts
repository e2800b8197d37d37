import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { loggablePath } from '../log/paths.js';
import { escapeHtml, sendPage } from '../lti/html.js';
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

/** What http-errors makes, as body-parser, send (express.static) and the router raise them. */
interface MiddlewareError {
  type?: string;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * A client error raised by express middleware (a `..` in a static path, an unknown charset) keeps its 4xx: only
 * http-errors set `expose`, so the status an LMS answered one of our own calls with is never mistaken for one.
 * The message is shown only where `expose` says it is meant for the client (send's 404 carries a file path).
 */
function middlewareClientError(err: MiddlewareError | null | undefined): HttpError | undefined {
  if (typeof err?.expose !== 'boolean') return undefined;
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499)
    return undefined;
  const name = STATUS_CODES[status] ?? 'Bad Request';
  const code = name.toLowerCase().replace(/[^a-z]+/g, '_');
  return new HttpError(status, code, err.expose && typeof err.message === 'string' ? err.message : name);
}

/**
 * A person's browser opening a page (the dashboard after its session ended, a mistyped address): it prefers HTML
 * and is not calling an API, so it gets a page with the message rather than JSON.
 */
function wantsPage(req: Request): boolean {
  return req.method === 'GET' && !req.path.includes('/api/') && req.accepts(['json', 'html']) === 'html';
}

/**
 * Turns every error into `{error: {code, message}}`, or a page with the same words for a browser (wantsPage);
 * internal details go to the log, never to the caller.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let httpError: HttpError;
    const middlewareError = err as MiddlewareError | null | undefined;
    const clientError = middlewareClientError(middlewareError);
    if (err instanceof HttpError) {
      httpError = err;
    } else if (middlewareError?.type === 'entity.too.large') {
      httpError = new HttpError(413, 'payload_too_large', 'Request body is larger than allowed');
    } else if (middlewareError?.type === 'entity.parse.failed') {
      httpError = new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
    } else if (clientError) {
      httpError = clientError;
    } else {
      logger.error({ err, method: req.method, path: loggablePath(req.path) }, 'unhandled error');
      httpError = new HttpError(500, 'internal_error', 'Something went wrong on our side');
    }
    if (res.headersSent) return;
    sendError(res, httpError, wantsPage(req));
  };
}

/** An error as `{error: {code, message, details?}}`, or as a page with the same words under the strict CSP. */
export function sendError(res: Response, error: HttpError, asPage: boolean, title = 'Credbridge'): void {
  if (asPage) {
    sendPage(
      res,
      error.status,
      title,
      `<p>${escapeHtml(error.message)}</p><p>Code: <code>${escapeHtml(error.code)}</code></p>`,
    );
    return;
  }
  res.status(error.status).json({
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    },
  });
}
