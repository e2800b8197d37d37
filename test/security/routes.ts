import type { Express } from 'express';

export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
  slash?: boolean;
}

/**
 * Every route the app answers, by walking express's router stack (routers mounted in routers included).
 * A route added anywhere appears here without anyone listing it by hand.
 */
export function listRoutes(app: Express): RouteEntry[] {
  const out: RouteEntry[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = ([] as string[]).concat(layer.route.path);
        for (const p of paths)
          for (const m of Object.keys(layer.route.methods).filter((k) => k !== '_all'))
            out.push({ method: m.toUpperCase(), path: prefix + p });
      } else if (layer.handle?.stack) {
        const mounts = ([] as string[]).concat(layer.rawPath ?? '/');
        for (const mount of mounts) walk(layer.handle.stack, prefix + (mount === '/' ? '' : mount));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`));
}
