import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../src/web/errors.js';
import { silentLogger } from '../helpers/env.js';

/** An app whose one route fails with `err`, behind the app's error handler. */
function failingWith(err: unknown) {
  const app = express();
  app.get('/x', () => {
    throw err;
  });
  app.use(errorHandler(silentLogger()));
  return app;
}

/** What http-errors (body-parser, send, the router) raise: a status and whether its message may be shown. */
function clientError(status: number, message: string, expose: boolean): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose });
}

describe('errorHandler', () => {
  it('keeps the 4xx status of an error raised by express middleware, with its safe message', async () => {
    const res = await request(failingWith(clientError(403, 'Forbidden', true))).get('/x');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: 'Forbidden' } });
  });

  it('hides the message of one that is not to be exposed (a file path), keeping the status', async () => {
    const res = await request(
      failingWith(clientError(404, "ENOENT: no such file or directory, stat '/srv/app/x'", false)),
    ).get('/x');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'Not Found' } });
  });

  it('treats a status from elsewhere (an LMS answering 401) as our failure: 500, nothing shown', async () => {
    const upstream = Object.assign(new Error('401 invalid token for https://lms.example/x'), { status: 401 });
    const res = await request(failingWith(upstream)).get('/x');
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(JSON.stringify(res.body)).not.toContain('lms.example');
  });

  it('never takes a 5xx or an odd status from an error', async () => {
    for (const status of [500, 503, 302, 4000, Number.NaN]) {
      const res = await request(failingWith(clientError(status, 'secret detail', true))).get('/x');
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('secret detail');
    }
  });
});
