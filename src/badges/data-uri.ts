/** A badge image as templates and credentials carry it: a base64 `data:` URI of a PNG, an SVG or a JPEG. */
export type BadgeImageType = 'image/png' | 'image/svg+xml' | 'image/jpeg';

const DATA_URI = /^data:(image\/(?:png|svg\+xml|jpeg));base64,([A-Za-z0-9+/=]+)$/;

/** The image type and bytes of a badge's data: URI, or undefined for anything else (a URL, nothing). */
export function readImageDataUri(
  uri: string | undefined,
): { type: BadgeImageType; bytes: Buffer } | undefined {
  const m = DATA_URI.exec(uri ?? '');
  return m ? { type: m[1] as BadgeImageType, bytes: Buffer.from(m[2]!, 'base64') } : undefined;
}
