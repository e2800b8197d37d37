import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { badgeSvg, generatedBadgeDataUri, textColorOn, wrapWords } from '../../src/badges/generated-badge.js';

/** The badge made from an institution's branding: readable text, the title whole or cut with "…", nothing unescaped. */
describe('a badge made from the branding', () => {
  it('writes white on a dark colour and near-black on a light one', () => {
    expect(textColorOn('#1d4f91')).toBe('#ffffff');
    expect(textColorOn('#000000')).toBe('#ffffff');
    expect(textColorOn('#ffe066')).toBe('#111111');
    expect(textColorOn('#ffffff')).toBe('#111111');
  });

  it('wraps the title by words, splits a word longer than a line, and cuts what does not fit with "…"', () => {
    expect(wrapWords('Data Analysis with Python', 14, 3)).toEqual(['Data Analysis', 'with Python']);
    expect(wrapWords('Donaudampfschifffahrtsgesellschaft', 12, 5)).toEqual([
      'Donaudampfsc',
      'hifffahrtsge',
      'sellschaft',
    ]);
    const cut = wrapWords('one two three four five six seven eight', 9, 2);
    expect(cut).toHaveLength(2);
    expect(cut[1]!.endsWith('…')).toBe(true);
    expect(cut[1]!.length).toBeLessThanOrEqual(9);
  });

  it('escapes the title and ribbon, and takes a logo only as a data: URI', () => {
    const svg = badgeSvg({
      title: '<script>alert(1)</script> & "quoted"',
      ribbon: 'A&B <University>',
      color: '#1d4f91',
      accent: '#f2b705',
      logo: 'https://evil.example/logo.png',
    });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('A&amp;B &lt;University&gt;');
    expect(svg).not.toContain('evil.example');
    expect(svg).not.toContain('<image');
    const logo = `data:image/png;base64,${PNG.sync.write(new PNG({ width: 2, height: 2 })).toString('base64')}`;
    expect(badgeSvg({ title: 'T', color: '#1d4f91', accent: '#f2b705', logo })).toContain(`href="${logo}"`);
  });

  it('is stored as a 400-pixel PNG, with every line of a long title drawn', async () => {
    const design = {
      title: 'Ψηφιακές δεξιότητες για τη δημόσια διοίκηση και την εκπαίδευση ενηλίκων στην Ευρώπη',
      ribbon: 'Πανεπιστήμιο',
      color: '#ffe066',
      accent: '#333333',
    };
    expect(badgeSvg(design).match(/<text /g)).toHaveLength(4); // three title lines and the ribbon
    const uri = await generatedBadgeDataUri(design);
    const png = PNG.sync.read(Buffer.from(uri.split(',')[1]!, 'base64'));
    expect([png.width, png.height]).toEqual([400, 400]);
    // Text pixels: near-black ink on the light seal somewhere across the title band.
    let ink = 0;
    for (let y = 150; y < 260; y++)
      for (let x = 60; x < 340; x++) {
        const i = (y * 400 + x) * 4;
        if (png.data[i]! < 60 && png.data[i + 1]! < 60 && png.data[i + 2]! < 60 && png.data[i + 3]! > 200)
          ink++;
      }
    expect(ink).toBeGreaterThan(500);
  });
});
