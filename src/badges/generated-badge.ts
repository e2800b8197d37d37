import { escape } from '../render/html.js';
import { readImageDataUri } from './data-uri.js';
import { BadgeImageError } from './badge-image.js';
import { RasterizeError, svgToPng } from './rasterize.js';

/**
 * A badge made from an institution's branding when it has no picture of its own: a round seal in its colour, an
 * outer ring and a ribbon in its accent colour, its logo at the top and the credential's title in the middle,
 * stored as a PNG so it can be baked and printed like an uploaded one.
 */
export interface BadgeDesign {
  title: string;
  /** Shown on the ribbon, e.g. the institution's short name; cut to fit. */
  ribbon?: string;
  color: string;
  accent: string;
  /** A checked data: URI (PNG, JPEG or sanitised SVG). */
  logo?: string;
}

/** The badge's side, in the SVG's units and in the stored PNG's pixels. */
const SIZE = 400;
/** Room for the title across the seal, in the SVG's units. */
const TEXT_WIDTH = 270;
/** DejaVu Sans Bold's mean advance per character, in em, rounded up so a line never overflows. */
const EM_PER_CHAR = 0.68;

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textColorOn(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  // Contrast with white (1.05 / (L + 0.05)) against contrast with black ((L + 0.05) / 0.05).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#111111';
}

/** Words into at most `maxLines` lines of `perLine` characters; a longer word is split, the rest ends in "…". */
export function wrapWords(text: string, perLine: number, maxLines: number): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    while (word.length > perLine) {
      if (line) lines.push(line);
      lines.push(word.slice(0, perLine));
      word = word.slice(perLine);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= perLine) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1]!.slice(0, perLine - 1).trimEnd()}…`;
  return kept;
}

/** The largest title size whose lines fit three across the seal (the smallest size cuts the rest). */
function titleLines(title: string): { size: number; lines: string[] } {
  for (const size of [34, 30, 26, 23]) {
    const perLine = Math.floor(TEXT_WIDTH / (size * EM_PER_CHAR));
    const lines = wrapWords(title, perLine, 99);
    if (lines.length <= 3) return { size, lines };
  }
  const size = 20;
  return { size, lines: wrapWords(title, Math.floor(TEXT_WIDTH / (size * EM_PER_CHAR)), 3) };
}

/** Characters XML 1.0 cannot hold (controls, non-characters, lone surrogates): a title may carry them, SVG not. */
const NOT_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The badge as SVG (every text escaped; the logo only as a checked data: URI). */
export function badgeSvg(design: BadgeDesign): string {
  const { color, accent } = design;
  const ink = textColorOn(color);
  const logo = readImageDataUri(design.logo) ? design.logo : undefined;
  const { size, lines } = titleLines(design.title.replace(NOT_XML, ''));
  const lineHeight = size * 1.15;
  const middle = logo ? 215 : 200;
  const firstBaseline = middle - ((lines.length - 1) * lineHeight) / 2 + size * 0.35;
  const ribbon = design.ribbon ? wrapWords(design.ribbon.replace(NOT_XML, ''), 21, 1)[0] : undefined;
  const text = lines
    .map(
      (l, i) =>
        `<text x="200" y="${(firstBaseline + i * lineHeight).toFixed(1)}" font-size="${size}">${escape(l)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}">`,
    `<circle cx="200" cy="200" r="196" fill="${accent}"/>`,
    `<circle cx="200" cy="200" r="180" fill="${color}"/>`,
    `<circle cx="200" cy="200" r="168" fill="none" stroke="${ink}" stroke-opacity="0.35" stroke-width="2"/>`,
    logo
      ? `<circle cx="200" cy="92" r="46" fill="#ffffff"/><image href="${escape(logo)}" x="166" y="58" width="68" height="68" preserveAspectRatio="xMidYMid meet"/>`
      : '',
    `<g font-family="DejaVu Sans" font-weight="bold" text-anchor="middle" fill="${ink}">${text}</g>`,
    ribbon
      ? `<path d="M40 300 L360 300 L340 330 L360 360 L40 360 L60 330 Z" fill="${accent}"/>` +
        `<text x="200" y="337" font-family="DejaVu Sans" font-weight="bold" font-size="19" text-anchor="middle" fill="${textColorOn(accent)}">${escape(ribbon)}</text>`
      : '',
    '</svg>',
  ].join('');
}

/** The badge as the PNG data: URI a template stores; refused (BadgeImageError) when it cannot be drawn. */
export async function generatedBadgeDataUri(design: BadgeDesign): Promise<string> {
  try {
    const png = await svgToPng(badgeSvg(design), { width: SIZE, height: SIZE });
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch (err) {
    if (err instanceof RasterizeError) throw new BadgeImageError(`the badge: ${err.message}`);
    throw err;
  }
}
