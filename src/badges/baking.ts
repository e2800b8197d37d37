/**
 * "Baked" badges (Open Badges 3.0, section Baking): the signed credential travels inside the badge picture, so a
 * post or an e-mail signature carries it and a verifier reads it back.
 * - PNG: one `iTXt` chunk with the keyword `openbadgecredential`, uncompressed, holding the credential's JSON; an
 *   earlier one is replaced.
 * - SVG: an `<openbadges:credential>` element first inside the root `<svg>` (namespace
 *   `https://purl.imsglobal.org/ob/v3p0`), the JSON in CDATA.
 */
export const OB3_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
const KEYWORD = 'openbadgecredential';
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class BakingError extends Error {}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** PNG's CRC-32 over a chunk's type and data. */
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Buffer;
}

function readChunks(png: Buffer): Chunk[] {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw new BakingError('not a PNG image');
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length;) {
    if (at + 12 > png.length) throw new BakingError('a PNG chunk is cut short');
    const length = png.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > png.length) throw new BakingError('a PNG chunk is cut short');
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    if (crc32(typeAndData) !== png.readUInt32BE(at + 8 + length))
      throw new BakingError('a PNG chunk is corrupt');
    chunks.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: typeAndData.subarray(4) });
    at = end;
    if (chunks.at(-1)!.type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR' || chunks.at(-1)?.type !== 'IEND')
    throw new BakingError('not a whole PNG image');
  return chunks;
}

/** A PNG's size from its header, after every chunk's length and CRC were checked. */
export function readPngHeader(png: Buffer): { width: number; height: number } {
  const header = readChunks(png)[0]!.data;
  if (header.length < 8) throw new BakingError('the PNG header is cut short');
  return { width: header.readUInt32BE(0), height: header.readUInt32BE(4) };
}

/** One PNG chunk with its length and CRC (exported for tests that craft PNGs). */
export function writeChunk({ type, data }: Chunk): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** The text of an uncompressed `iTXt` chunk with our keyword, or undefined for any other chunk. */
function credentialText(chunk: Chunk): string | undefined {
  if (chunk.type !== 'iTXt') return undefined;
  const keywordEnd = chunk.data.indexOf(0);
  if (keywordEnd < 0 || chunk.data.subarray(0, keywordEnd).toString('latin1') !== KEYWORD) return undefined;
  // keyword \0, compression flag, compression method, language tag \0, translated keyword \0, text
  const flag = chunk.data[keywordEnd + 1];
  const languageEnd = chunk.data.indexOf(0, keywordEnd + 3);
  const translatedEnd = languageEnd < 0 ? -1 : chunk.data.indexOf(0, languageEnd + 1);
  if (flag !== 0 || translatedEnd < 0)
    throw new BakingError('the baked credential is compressed or malformed');
  return chunk.data.subarray(translatedEnd + 1).toString('utf8');
}

export function bakePng(png: Buffer, credential: string): Buffer {
  const chunks = readChunks(png).filter((c) => credentialText(c) === undefined);
  const baked: Chunk = {
    type: 'iTXt',
    data: Buffer.concat([Buffer.from(`${KEYWORD}\0\0\0\0\0`, 'latin1'), Buffer.from(credential, 'utf8')]),
  };
  return Buffer.concat([
    SIGNATURE,
    ...chunks.slice(0, -1).map(writeChunk),
    writeChunk(baked),
    writeChunk(chunks.at(-1)!),
  ]);
}

/** The credential a PNG carries, or undefined when it carries none. */
export function unbakePng(png: Buffer): string | undefined {
  for (const chunk of readChunks(png)) {
    const text = credentialText(chunk);
    if (text !== undefined) return text;
  }
  return undefined;
}

const ROOT = /<svg\b[^>]*>/;
const BAKED = /<openbadges:credential\b[^>]*>([\s\S]*?)<\/openbadges:credential>/;

export function bakeSvg(svg: string, credential: string): string {
  const root = ROOT.exec(svg);
  if (!root) throw new BakingError('not an SVG image');
  let open = root[0];
  if (!/\sxmlns:openbadges=/.test(open))
    open = open.replace(/^<svg\b/, `<svg xmlns:openbadges="${OB3_NAMESPACE}"`);
  // "]]>" inside the JSON would end the CDATA section: split it across two sections.
  const cdata = `<![CDATA[${credential.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
  const rest = svg.slice(root.index + root[0].length).replace(BAKED, '');
  return `${svg.slice(0, root.index)}${open}<openbadges:credential>${cdata}</openbadges:credential>${rest}`;
}

/** The credential an SVG carries, or undefined when it carries none. */
export function unbakeSvg(svg: string): string | undefined {
  const baked = BAKED.exec(svg);
  if (!baked) return undefined;
  return [...baked[1]!.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((m) => m[1]).join('');
}
