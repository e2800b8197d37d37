import { escape } from '../render/html.js';
import { bakePng, bakeSvg } from './baking.js';
import { readImageDataUri } from './data-uri.js';

/**
 * The badge pictures of an issued Open Badge, each with the signed credential baked in: the PNG when the badge's
 * image is a PNG, and always an SVG made here, which shows the badge's image (as an `<image>`, where no script of
 * an uploaded SVG can run) above the credential's title and issuer.
 */
interface Ob3Shape {
  name?: string;
  issuer?: { name?: string };
  credentialSubject?: { achievement?: { name?: string; image?: { id?: string } } };
}

function picture(ob3: Ob3Shape) {
  const uri = ob3.credentialSubject?.achievement?.image?.id ?? '';
  const image = readImageDataUri(uri);
  return image ? { ...image, uri } : undefined;
}

/** Words of a title in lines of at most `width` characters (a word longer than that gets a line of its own). */
function lines(text: string, width: number, max: number): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = out.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  if (out.length > max)
    out.splice(
      max - 1,
      out.length,
      `${out
        .slice(max - 1)
        .join(' ')
        .slice(0, width - 1)}…`,
    );
  return out;
}

export function bakedPng(ob3: Ob3Shape): Buffer | undefined {
  const image = picture(ob3);
  return image?.type === 'image/png' ? bakePng(image.bytes, JSON.stringify(ob3)) : undefined;
}

export function bakedSvg(ob3: Ob3Shape): string {
  const title = ob3.credentialSubject?.achievement?.name ?? ob3.name ?? '';
  const issuer = ob3.issuer?.name ?? '';
  const image = picture(ob3);
  const titleLines = lines(title, 26, 3);
  const text = titleLines
    .map((l, i) => `<text x="200" y="${372 + i * 28}" class="title">${escape(l)}</text>`)
    .join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 ${420 + titleLines.length * 28}" width="400" height="${420 + titleLines.length * 28}" role="img" aria-label="${escape(title)}">` +
    `<title>${escape(title)}</title>` +
    '<style>text{font-family:system-ui,sans-serif;text-anchor:middle;fill:#1b1f24}.title{font-size:22px;font-weight:600}.issuer{font-size:16px;fill:#4a5561}</style>' +
    '<rect width="100%" height="100%" fill="#ffffff"/>' +
    (image
      ? `<image href="${image.uri}" x="60" y="24" width="280" height="280" preserveAspectRatio="xMidYMid meet"/>`
      : '<circle cx="200" cy="164" r="140" fill="#1d4f91"/>') +
    text +
    `<text x="200" y="${392 + titleLines.length * 28}" class="issuer">${escape(issuer)}</text>` +
    '</svg>';
  return bakeSvg(svg, JSON.stringify(ob3));
}
