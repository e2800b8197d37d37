import { createHash } from 'node:crypto';
import { Schema, model } from 'mongoose';
import { escape } from '../render/html.js';
import { BadgeImageError } from './badge-image.js';
import { readImageDataUri } from './data-uri.js';
import { RasterizeError, svgToPng, type Box } from './rasterize.js';

/**
 * Pictures as the certificate prints them: a badge or a logo (PNG, JPEG or SVG) drawn once by resvg into the box
 * it has on the page, and kept by the digest of the picture and the box, with the reason when it could not be
 * drawn. A certificate request reads what is kept; it never draws an administrator's picture itself, and PDF only
 * ever sees small 8-bit PNGs that resvg wrote (a PNG whose pixels do not decode would throw inside pdfkit where no
 * request can catch it). Uploads draw theirs before they are stored, so a picture that cannot be printed is refused.
 */
/** Where the certificate prints each picture, in PDF points (width, height). */
export const PRINTED_SIZES = { badge: [84, 84], logo: [110, 56] } as const satisfies Record<
  string,
  [number, number]
>;
/** Pixels drawn per point, so the printed picture stays sharp. */
const PX_PER_POINT = 4;
const box = ([width, height]: readonly [number, number]): Box => ({
  width: width * PX_PER_POINT,
  height: height * PX_PER_POINT,
});
export const PRINT_BOXES = { badge: box(PRINTED_SIZES.badge), logo: box(PRINTED_SIZES.logo) };

const renditionSchema = new Schema(
  {
    _id: { type: String, required: true }, // sha256 of the box and the data: URI
    png: { type: Buffer },
    /** Why it cannot be drawn (not retried: the same picture fails the same way). */
    refused: { type: String },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'image_renditions' },
);
export const ImageRendition = model('ImageRendition', renditionSchema);

export type Rendition = { png: Buffer } | { refused: string };

/**
 * An SVG as it is; a raster picture inside an SVG of the box, so that resvg decodes it (safely, away from the event
 * loop) and scales it.
 */
function asSvg(uri: string, image: { type: string; bytes: Buffer }, box: Box): string | Buffer {
  if (image.type === 'image/svg+xml') return image.bytes;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${box.width}" height="${box.height}"><image href="${escape(uri)}" width="${box.width}" height="${box.height}" preserveAspectRatio="xMidYMid meet"/></svg>`;
}

const drawing = new Map<string, Promise<Rendition>>();

/** The picture drawn into `box`, or why it cannot be; drawn at most once per picture and box. */
export async function rendition(uri: string, box: Box): Promise<Rendition> {
  const image = readImageDataUri(uri);
  if (!image) return { refused: 'not a data: URI of a PNG, JPEG or SVG image' };
  const id = createHash('sha256').update(`${box.width}x${box.height}\n${uri}`).digest('hex');
  const kept = await ImageRendition.findById(id).lean();
  if (kept)
    return kept.png
      ? { png: Buffer.from(kept.png.buffer) }
      : { refused: kept.refused ?? 'it cannot be drawn' };
  const running = drawing.get(id);
  if (running) return running;
  const draw = (async (): Promise<Rendition> => {
    let made: Rendition;
    try {
      made = { png: await svgToPng(asSvg(uri, image, box), box) };
    } catch (err) {
      if (!(err instanceof RasterizeError)) throw err;
      made = { refused: err.message };
    }
    await ImageRendition.updateOne({ _id: id }, { $setOnInsert: made }, { upsert: true });
    return made;
  })().finally(() => drawing.delete(id));
  drawing.set(id, draw);
  return draw;
}

/** Refuses (BadgeImageError) a picture that cannot be printed in `box`, naming why; draws and keeps it otherwise. */
export async function checkPrintable(uri: string, box: Box): Promise<void> {
  const made = await rendition(uri, box);
  if ('refused' in made) throw new BadgeImageError(`it cannot be printed: ${made.refused}`);
}

/** The PNG to print, or undefined (the certificate is whole without it). */
export async function printablePng(uri: string | undefined, box: Box): Promise<Buffer | undefined> {
  if (!uri) return undefined;
  const made = await rendition(uri, box);
  return 'png' in made ? made.png : undefined;
}
