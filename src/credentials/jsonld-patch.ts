import contextApi from 'jsonld/lib/context.js';
import type { Logger } from '../log/logger.js';

/**
 * jsonld is installed patched (patches/jsonld+9.0.0.patch, applied by patch-package on npm install): active
 * contexts built by type-scoped contexts, which Open Badges 3.0 and ELM use throughout, are reused instead of
 * cloned per node, so expansion hits jsonld's processed-context cache. Signing and verifying get about three
 * times faster with the same N-Quads (test/unit/jsonld-patch.test.ts compares both ways).
 */
export function jsonldPatched(): boolean {
  return typeof contextApi.reuseScopedContexts === 'boolean';
}

/** Off gives jsonld's published behaviour: the benchmark's raw baseline and the tests' comparison use it. */
export function setScopedContextReuse(on: boolean): void {
  if (!jsonldPatched()) throw new Error('jsonld is not patched: run npm install (patch-package applies it)');
  contextApi.reuseScopedContexts = on;
}

/** Said at start by each process that signs or verifies: without the patch they still work, about 3x slower. */
export function warnIfJsonldUnpatched(logger: Logger): void {
  if (!jsonldPatched())
    logger.warn('jsonld is installed without its patch: signing and verifying run about 3x slower');
}
