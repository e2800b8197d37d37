/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON-LD value read as a list: an array as it is, anything else as a list of one. */
export function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}
