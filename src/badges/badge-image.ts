import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { BakingError, readPngHeader } from './baking.js';
import { readImageDataUri } from './data-uri.js';

/**
 * A badge image an administrator uploads (or puts in a template as a data: URI): a PNG or an SVG, checked before
 * it is stored, signed into credentials and shown on every page.
 * - PNG: a whole, intact image (every chunk's CRC), at most `MAX_SIDE` pixels a side.
 * - SVG: sanitised by DOMPurify's SVG profile (no script, event handler, foreignObject or animation that sets
 *   attributes), and no reference outside the image itself except embedded `data:image/...` pictures: a badge
 *   travels into wallets and other people's pages and must not call home.
 */
export const MAX_BADGE_BYTES = 150_000;
export const MAX_SIDE = 2048;

export class BadgeImageError extends Error {}

const window = new JSDOM('').window;
const purify = createDOMPurify(window as unknown as Parameters<typeof createDOMPurify>[0]);
/** Only same-document fragments and embedded raster pictures may be referenced. */
const LOCAL_REFERENCE = /^(#[\w.-]+|data:image\/(png|jpeg);base64,[A-Za-z0-9+/=\s]+)$/;
purify.addHook('uponSanitizeAttribute', (_node, data) => {
  if (/^(xlink:)?href$/i.test(data.attrName) && !LOCAL_REFERENCE.test(data.attrValue.trim()))
    data.keepAttr = false;
  // url(...) in presentation attributes and inline styles may fetch: only fragments.
  if (/url\s*\(\s*['"]?(?!#)/i.test(data.attrValue)) data.keepAttr = false;
});
purify.addHook('uponSanitizeElement', (node, data) => {
  if (data.tagName === 'style' && /@import|url\s*\(\s*['"]?(?!#)/i.test(node.textContent ?? ''))
    node.textContent = '';
});

export function sanitiseSvg(svg: string): string {
  const clean = purify.sanitize(svg, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['foreignObject', 'animate', 'set', 'animateMotion', 'animateTransform'],
  });
  if (!/^<svg[\s>]/.test(clean.trim())) throw new BadgeImageError('the file is not an SVG image');
  return clean.trim();
}

function checkPng(bytes: Buffer): void {
  let header: { width: number; height: number };
  try {
    header = readPngHeader(bytes);
  } catch (err) {
    throw new BadgeImageError(
      err instanceof BakingError ? `the PNG is broken: ${err.message}` : 'not a PNG image',
    );
  }
  if (header.width > MAX_SIDE || header.height > MAX_SIDE || header.width === 0 || header.height === 0)
    throw new BadgeImageError(
      `the PNG is ${header.width}×${header.height} pixels; at most ${MAX_SIDE} a side`,
    );
}

/** The image as the data: URI a template stores, after the checks; refuses naming what is wrong. */
export function badgeDataUri(bytes: Buffer): string {
  if (bytes.length === 0) throw new BadgeImageError('the file is empty');
  if (bytes.length > MAX_BADGE_BYTES)
    throw new BadgeImageError(`the file is ${bytes.length} bytes; at most ${MAX_BADGE_BYTES}`);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    checkPng(bytes);
    return `data:image/png;base64,${bytes.toString('base64')}`;
  }
  const text = bytes.toString('utf8');
  if (/<svg[\s>]/.test(text))
    return `data:image/svg+xml;base64,${Buffer.from(sanitiseSvg(text)).toString('base64')}`;
  throw new BadgeImageError('the file is neither a PNG nor an SVG image');
}

/** A template's data: URI badge, checked the same way (an SVG comes back sanitised). */
export function checkedBadgeDataUri(uri: string): string {
  const image = readImageDataUri(uri);
  if (!image) throw new BadgeImageError('a base64 data: URI of a PNG, SVG or JPEG');
  if (image.type === 'image/jpeg') return uri; // drawn by browsers and PDF as pixels only
  return badgeDataUri(image.bytes);
}
