import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The fonts of everything drawn here (the PDF certificate, the badge pictures). PDF's built-in fonts cover Western
 * European letters only; DejaVu Sans (a dependency, so every install has it) covers the Latin, Greek and Cyrillic of
 * all 24 EU languages.
 */
const FONT_DIR = join(
  dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')),
  'ttf',
);
export const fonts = {
  regular: join(FONT_DIR, 'DejaVuSans.ttf'),
  bold: join(FONT_DIR, 'DejaVuSans-Bold.ttf'),
};
