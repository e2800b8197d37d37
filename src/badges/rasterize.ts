import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { fonts } from '../render/fonts.js';

/**
 * SVG drawn to PNG by resvg (WebAssembly, so no native build): the generated badge is stored as a PNG (bakeable,
 * and what social sites take), and the certificate draws SVG badges and logos through it, since PDF has no SVG.
 * It reads nothing outside the SVG: resvg loads no URL, and the fonts are the bundled DejaVu Sans.
 */
let ready: Promise<void> | undefined;
let fontBuffers: Uint8Array[] | undefined;

function init(): Promise<void> {
  ready ??= initWasm(readFileSync(createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm')));
  fontBuffers ??= [readFileSync(fonts.regular), readFileSync(fonts.bold)];
  return ready;
}

/** The SVG as a PNG `width` pixels wide (its aspect kept). */
export async function svgToPng(svg: string | Buffer, width: number): Promise<Buffer> {
  await init();
  const resvg = new Resvg(typeof svg === 'string' ? svg : new Uint8Array(svg), {
    fitTo: { mode: 'width', value: width },
    font: { fontBuffers: fontBuffers!, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  try {
    const image = resvg.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
