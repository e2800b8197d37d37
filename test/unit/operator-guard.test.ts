import { describe, expect, it } from '@jest/globals';
import { findOperatorKey } from '../../src/web/operator-guard.js';

describe('findOperatorKey', () => {
  it('passes plain data', () => {
    expect(findOperatorKey({ a: 1, b: { c: ['x', { d: null }] } })).toBeUndefined();
  });
  it('finds an operator at the top level', () => {
    expect(findOperatorKey({ $where: 'sleep(1000)' })).toBe('$where');
  });
  it('finds a nested operator with its path', () => {
    expect(findOperatorKey({ user: { name: { $gt: '' } } })).toBe('user.name.$gt');
  });
  it('finds an operator inside an array', () => {
    expect(findOperatorKey({ list: [{ ok: 1 }, { $ne: 1 }] })).toBe('list[1].$ne');
  });
});
