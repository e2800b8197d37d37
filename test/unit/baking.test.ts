import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { BakingError, bakePng, bakeSvg, unbakePng, unbakeSvg } from '../../src/badges/baking.js';

/** Baking and reading back (OB 3.0 "Baking"), beside the end-to-end check in test/browser/screens.test.ts. */
const png = PNG.sync.write(Object.assign(new PNG({ width: 4, height: 4 }), {}));
const credential = JSON.stringify({ name: 'Análise — 数据', note: 'a ]]> inside', n: 1 });

describe('baked PNG', () => {
  it('carries the credential in one iTXt chunk, replaced on a second bake, and stays a PNG', () => {
    const once = bakePng(png, credential);
    expect(unbakePng(once)).toBe(credential);
    const twice = bakePng(once, '{"n":2}');
    expect(unbakePng(twice)).toBe('{"n":2}');
    expect(twice.toString('latin1').split('openbadgecredential').length - 1).toBe(1);
    expect(PNG.sync.read(twice).width).toBe(4);
    expect(unbakePng(png)).toBeUndefined();
  });

  it('refuses what is not a whole, intact PNG', () => {
    expect(() => bakePng(Buffer.from('GIF89a'), credential)).toThrow(BakingError);
    const corrupt = Buffer.from(png);
    corrupt.writeUInt8(corrupt.readUInt8(20) ^ 0xff, 20); // inside IHDR: its CRC no longer matches
    expect(() => unbakePng(corrupt)).toThrow(/corrupt/);
    expect(() => unbakePng(png.subarray(0, png.length - 6))).toThrow(/cut short/);
  });
});

describe('baked SVG', () => {
  it('carries the credential first inside the root, "]]>" split across CDATA sections, replaced on a second bake', () => {
    const svg = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="4"><rect/></svg>';
    const once = bakeSvg(svg, credential);
    expect(once).toMatch(
      /^<\?xml version="1.0"\?><svg xmlns:openbadges="https:\/\/purl.imsglobal.org\/ob\/v3p0" xmlns="http:\/\/www.w3.org\/2000\/svg" width="4"><openbadges:credential><!\[CDATA\[/,
    );
    expect(once).not.toContain('a ]]> inside');
    expect(unbakeSvg(once)).toBe(credential);
    const twice = bakeSvg(once, '{"n":2}');
    expect(unbakeSvg(twice)).toBe('{"n":2}');
    expect(twice.match(/<openbadges:credential>/g)).toHaveLength(1);
    expect(twice.match(/xmlns:openbadges=/g)).toHaveLength(1);
    expect(() => bakeSvg('<html></html>', credential)).toThrow(BakingError);
  });
});
