import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fonts } from '../render/fonts.js';

/**
 * SVG drawn to PNG by resvg (WebAssembly, so no native build): the generated badge is stored as a PNG (bakeable,
 * and what social sites take), and every picture a certificate prints is drawn once through it.
 *
 * An administrator's SVG can make resvg work for minutes (a filter with a million octaves) or trap with its memory
 * half-used, so each drawing runs in a worker thread of its own, ended at a deadline and always thrown away with
 * its memory: nothing it does reaches the event loop that serves every institution. The picture is fitted into a
 * box before any pixel is allocated, and resvg loads no URL; the fonts are the bundled DejaVu Sans.
 */
export interface Box {
  width: number;
  height: number;
}

export class RasterizeError extends Error {}

const DEADLINE_MS = 5_000;
/** Drawings at once; more wait their turn (each worker holds its own WebAssembly memory). */
const AT_ONCE = 2;

const require = createRequire(import.meta.url);
/** Compiled once and handed to each worker (Node's types here lack the WebAssembly global's). */
const { WebAssembly: wasmApi } = globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<object> };
};
let compiled: Promise<object> | undefined;
const wasm = () =>
  (compiled ??= wasmApi.compile(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm'))));

// The worker's code, inline so it runs the same from the sources, the tests and the build (no file to locate).
const WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { initWasm, Resvg } = require(w.resvg);
(async () => {
  await initWasm(w.wasm);
  const font = { fontBuffers: w.fonts.map((f) => readFileSync(f)), defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  const measured = new Resvg(w.svg, { font: { ...font, fontBuffers: [] } });
  const scale = Math.min(w.box.width / measured.width, w.box.height / measured.height);
  const size = [measured.width * scale, measured.height * scale];
  if (!(scale > 0) || size[0] < 1 || size[1] < 1) throw new Error('the image has no drawable size');
  const resvg = new Resvg(w.svg, { font, fitTo: size[0] >= size[1] ? { mode: 'width', value: Math.round(size[0]) } : { mode: 'height', value: Math.round(size[1]) } });
  const png = resvg.render().asPng();
  parentPort.postMessage({ png }, [png.buffer]);
})().catch((err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;

let running = 0;
const waiting: (() => void)[] = [];
async function turn(): Promise<() => void> {
  if (running >= AT_ONCE) await new Promise<void>((go) => waiting.push(go));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/** The SVG as a PNG fitted into `box` (its aspect kept); refused with the reason when it cannot be drawn in time. */
export async function svgToPng(svg: string | Buffer, box: Box): Promise<Buffer> {
  const module = await wasm();
  const done = await turn();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: {
          svg: typeof svg === 'string' ? svg : new Uint8Array(svg),
          box,
          wasm: module,
          resvg: require.resolve('@resvg/resvg-wasm'),
          fonts: [fonts.regular, fonts.bold],
        },
      });
      const end = (settle: () => void) => {
        clearTimeout(timer);
        void worker.terminate();
        settle();
      };
      const timer = setTimeout(
        () => end(() => reject(new RasterizeError(`it takes more than ${DEADLINE_MS / 1000} s to draw`))),
        DEADLINE_MS,
      );
      worker.once('message', (m: { png?: Uint8Array; error?: string }) =>
        end(() =>
          m.png ? resolve(Buffer.from(m.png)) : reject(new RasterizeError(`it cannot be drawn: ${m.error}`)),
        ),
      );
      worker.once('error', (err) =>
        end(() => reject(new RasterizeError(`it cannot be drawn: ${err.message}`))),
      );
    });
  } finally {
    done();
  }
}
