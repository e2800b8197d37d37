import { describe, expect, it } from '@jest/globals';
import express from 'express';
import request from 'supertest';
import { requireSessionToken, sameToken } from '../../src/web/csrf.js';
import { errorHandler } from '../../src/web/errors.js';
import { silentLogger } from '../helpers/env.js';

describe('CSRF tokens', () => {
  const expected = 'A'.repeat(32);

  it('compares by bytes: a token of as many non-ASCII characters is refused, not a crash', () => {
    expect(sameToken('é'.repeat(32), expected)).toBe(false);
    expect(sameToken(expected, expected)).toBe(true);
    expect(sameToken(undefined, expected)).toBe(false);
    expect(sameToken(['A'], expected)).toBe(false);
  });

  it('answers 403 csrf_mismatch to a write whose token is wrong in any way', async () => {
    const app = express();
    app.post('/w', express.json(), (req, res) => {
      requireSessionToken(req, { csrfToken: expected });
      res.json({ ok: true });
    });
    app.use(errorHandler(silentLogger()));
    for (const token of ['é'.repeat(32), 'B'.repeat(32), '']) {
      const res = await request(app).post('/w').set('X-CSRF-Token', token).send({});
      expect({ token, status: res.status, code: res.body.error?.code }).toEqual({
        token,
        status: 403,
        code: 'csrf_mismatch',
      });
    }
    expect((await request(app).post('/w').send({ _csrf: expected })).status).toBe(200);
  });
});
