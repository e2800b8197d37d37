import type createDOMPurify from 'dompurify';
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

/** Only same-document fragments and embedded raster pictures may be referenced. */
const LOCAL_REFERENCE = /^(#[\w.-]+|data:image\/(png|jpeg);base64,[A-Za-z0-9+/=\s]+)$/;

type Purifier = ReturnType<typeof createDOMPurify>;
let purifier: Promise<Purifier> | undefined;
/** DOMPurify on jsdom, loaded on the first SVG (jsdom costs about a second and 60 MB that most processes never need). */
function svgPurifier(): Promise<Purifier> {
  purifier ??= (async () => {
    const [{ JSDOM }, { default: createPurify }] = await Promise.all([import('jsdom'), import('dompurify')]);
    const purify = createPurify(new JSDOM('').window as unknown as Parameters<typeof createDOMPurify>[0]);
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
    return purify;
  })();
  return purifier;
}

export async function sanitiseSvg(svg: string): Promise<string> {
  const purify = await svgPurifier();
  let clean = purify
    .sanitize(svg, {
      USE_PROFILES: { svg: true, svgFilters: true },
      FORBID_TAGS: ['foreignObject', 'animate', 'set', 'animateMotion', 'animateTransform'],
    })
    .trim();
  if (!/^<svg[\s>]/.test(clean)) throw new BadgeImageError('the file is not an SVG image');
  // Browsers draw an <svg> without its namespace inside HTML, but not as an image file: give it the namespace.
  if (!/^<svg[^>]*\sxmlns=/.test(clean))
    clean = clean.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
  return clean;
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
export async function badgeDataUri(bytes: Buffer): Promise<string> {
  if (bytes.length === 0) throw new BadgeImageError('the file is empty');
  if (bytes.length > MAX_BADGE_BYTES)
    throw new BadgeImageError(`the file is ${bytes.length} bytes; at most ${MAX_BADGE_BYTES}`);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    checkPng(bytes);
    return `data:image/png;base64,${bytes.toString('base64')}`;
  }
  const text = bytes.toString('utf8');
  if (/<svg[\s>]/.test(text))
    return `data:image/svg+xml;base64,${Buffer.from(await sanitiseSvg(text)).toString('base64')}`;
  throw new BadgeImageError('the file is neither a PNG nor an SVG image');
}

/** A template's data: URI badge, checked the same way (an SVG comes back sanitised). */
export async function checkedBadgeDataUri(uri: string): Promise<string> {
  const image = readImageDataUri(uri);
  if (!image) throw new BadgeImageError('a base64 data: URI of a PNG, SVG or JPEG');
  if (image.type === 'image/jpeg') return uri; // drawn by browsers and PDF as pixels only
  return badgeDataUri(image.bytes);
}
