import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { loggablePath } from '../log/paths.js';
import { translator, type MessageKey } from '../i18n/catalogs.js';
import { html } from '../render/html.js';
import { pickLanguage } from './language.js';
import { sendPage } from './standalone-page.js';
import type { Logger } from '../log/logger.js';
import { Refusal, type RefusalKind } from '../errors/refusal.js';

const REFUSAL_STATUS: Record<RefusalKind, number> = {
  invalid: 400,
  conflict: 409,
  forbidden: 403,
  not_found: 404,
};

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
    } else if (err instanceof Refusal) {
      httpError = new HttpError(
        REFUSAL_STATUS[err.kind],
        err.code,
        err.message,
        err.problems.length ? err.problems : undefined,
      );
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
    sendError(req, res, httpError, wantsPage(req));
  };
}

/** The sentence an error page leads with, in the reader's words: by the error's code where it has one, else its status. */
function leadKey(error: HttpError): MessageKey {
  switch (error.code) {
    case 'no_session':
      return 'errorPage.noSession';
    case 'csrf_mismatch':
      return 'errorPage.formExpired';
    case 'not_instructor':
      return 'errorPage.notInstructor';
    case 'platform_inactive':
      return 'errorPage.platformInactive';
    case 'token_expired':
    case 'token_too_old':
    case 'nonce_mismatch':
    case 'invalid_login':
      return 'errorPage.launchExpired';
  }
  if (error.status === 401 || error.status === 403) return 'errorPage.forbidden';
  if (error.status === 404) return 'errorPage.notFound';
  if (error.status === 409) return 'errorPage.conflict';
  if (error.status === 413) return 'errorPage.tooLarge';
  if (error.status === 429) return 'errorPage.tooMany';
  if (error.status >= 500) return 'errorPage.serverError';
  return 'errorPage.badRequest';
}

/**
 * An error as `{error: {code, message, details?}}`, or as a page for a browser: a sentence in the reader's
 * language, then the message itself (for an administrator) and the code, under the strict CSP.
 */
export function sendError(req: Request, res: Response, error: HttpError, asPage: boolean): void {
  if (asPage) {
    const lang = pickLanguage(req, res, req.ltiSession?.locale);
    const t = translator(lang);
    sendPage(
      res,
      error.status,
      t('errorPage.title'),
      html`<p>${t(leadKey(error))}</p>
        <p>${t('errorPage.details', { message: error.message })}</p>
        <p>${t('errorPage.code', { code: error.code })}</p>`,
      { lang },
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
