/** A cached read, and `clear()` to forget everything it holds (the records changed). */
export type CachedRead<K, V> = ((key: K) => Promise<V | null | undefined>) & { clear(): void };

/**
 * A read shared by every caller in this process for `ttlMs` (concurrent callers share one read in flight).
 * Misses and failures are not kept, so a record created a moment later is found on the next call.
 * For records the hot path reads per job and that change rarely: published templates, issuers, bindings.
 */
export function cachedReads<K, V>(
  ttlMs: number,
  read: (key: K) => Promise<V | null | undefined>,
): CachedRead<K, V> {
  const entries = new Map<K, { at: number; value: Promise<V | null | undefined> }>();
  const cachedRead = (key: K) => {
    const hit = entries.get(key);
    if (hit && Date.now() - hit.at <= ttlMs) return hit.value;
    const entry = { at: Date.now(), value: read(key) };
    entries.set(key, entry);
    const forget = () => entries.get(key) === entry && entries.delete(key);
    entry.value.then((v) => (v === null || v === undefined) && forget(), forget);
    return entry.value;
  };
  return Object.assign(cachedRead, { clear: () => entries.clear() });
}
