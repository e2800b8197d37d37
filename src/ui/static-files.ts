import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { STATIC_PATH } from './layout.js';

/** The CSS and scripts live beside the sources (src/ui/static), also when running the built dist/ output. */
function staticDir(): string {
  const candidates = [
    fileURLToPath(new URL('./static', import.meta.url)),
    fileURLToPath(new URL('../../../src/ui/static', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
}

/** Screens' CSS and JS, cacheable for an hour (revalidated by ETag afterwards). */
export function staticRouter(): Router {
  const router = Router();
  router.use(
    STATIC_PATH,
    express.static(staticDir(), { maxAge: '1h', etag: true, index: false, fallthrough: false }),
  );
  return router;
}
