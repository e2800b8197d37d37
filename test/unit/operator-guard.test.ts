import { describe, expect, it } from '@jest/globals';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../../src/web/errors.js';
import { MAX_NESTING, findInputProblem, rejectOperatorInjection } from '../../src/web/operator-guard.js';

/** `{"a":{"a":...1}}` with `levels` objects. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('findInputProblem', () => {
  it('passes plain data', () => {
    expect(findInputProblem({ a: 1, b: { c: ['x', { d: null }] } })).toBeUndefined();
  });
  it('finds an operator at the top level', () => {
    expect(findInputProblem({ $where: 'sleep(1000)' })).toEqual({ path: '$where', reason: 'operator' });
  });
  it('finds a nested operator with its path', () => {
    expect(findInputProblem({ user: { name: { $gt: '' } } })).toEqual({
      path: 'user.name.$gt',
      reason: 'operator',
    });
  });
  it('finds an operator inside an array', () => {
    expect(findInputProblem({ list: [{ ok: 1 }, { $ne: 1 }] })?.path).toBe('list[1].$ne');
  });
  it('reports the first problem in document order', () => {
    expect(findInputProblem({ a: [{ b: 1 }, { $x: 1 }], $y: 1 })?.path).toBe('a[1].$x');
  });

  it(`passes ${MAX_NESTING} levels and names where the next level starts`, () => {
    expect(findInputProblem(nested(MAX_NESTING))).toBeUndefined();
    expect(findInputProblem(nested(MAX_NESTING + 1))).toEqual({
      path: Array(MAX_NESTING).fill('a').join('.'),
      reason: 'depth',
    });
    let arrays: unknown = [];
    for (let i = 0; i < MAX_NESTING; i++) arrays = [arrays];
    expect(findInputProblem(arrays)?.path).toBe('[0]'.repeat(MAX_NESTING));
  });

  it('walks a value nested 200,000 levels deep without overflowing the stack', () => {
    const started = Date.now();
    expect(findInputProblem(nested(200_000))?.reason).toBe('depth');
    expect(findInputProblem(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)))?.reason).toBe('depth');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('rejectOperatorInjection', () => {
  function run(req: Partial<Request>): unknown {
    let passed: unknown = 'not called';
    rejectOperatorInjection(
      req as Request,
      {} as Response,
      ((err?: unknown) => (passed = err)) as NextFunction,
    );
    return passed;
  }

  it('refuses a deep query or body with a 400 naming where', () => {
    for (const where of ['query', 'body'] as const) {
      const err = run({ query: {}, [where]: { x: nested(5_000) } });
      expect(err).toBeInstanceOf(HttpError);
      expect(err).toMatchObject({ status: 400, code: 'invalid_input' });
      expect((err as Error).message).toBe(
        `${where} field "x.${Array(MAX_NESTING - 1)
          .fill('a')
          .join('.')}": nested deeper than ${MAX_NESTING} levels`,
      );
    }
  });

  it('keeps the message short however long the keys are', () => {
    const err = run({ query: {}, body: { ['k'.repeat(100_000)]: { $gt: '' } } }) as Error;
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).toMatch(/^body field "k+…k+\.\$gt" is not allowed: keys may not start with "\$"$/);
  });

  it('passes what is fine', () => {
    expect(run({ query: { a: 'b' }, body: nested(10) })).toBeUndefined();
  });
});
