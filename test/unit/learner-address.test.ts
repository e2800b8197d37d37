import { describe, expect, it } from '@jest/globals';
import { learnerAddress } from '../../src/notifications/address.js';

describe('learnerAddress', () => {
  it('keeps one plain address as it is', () => {
    for (const address of [
      'ana@example.org',
      "o'brien+course@mail.example.ac.uk",
      `${'a'.repeat(64)}@example.org`,
    ])
      expect(learnerAddress(address)).toBe(address);
  });

  it('turns anything else into no address', () => {
    for (const value of [
      'a@example.org, b@evil.example',
      'a@example.org; b@evil.example',
      'a@example.org b@evil.example',
      'Ana Example <ana@example.org>',
      '<ana@example.org>',
      '"ana"@example.org',
      'ana@example.org\r\nBcc: b@evil.example',
      'ana@example.org\n',
      ' ana@example.org',
      'ana@example.org,',
      'ana',
      '@example.org',
      'ana@localhost',
      `${'a'.repeat(65)}@example.org`,
      `ana@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(60)}.org`,
      '',
      undefined,
      null,
      42,
      ['ana@example.org'],
    ])
      expect(learnerAddress(value)).toBeUndefined();
  });
});
