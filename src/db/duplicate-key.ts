/**
 * Whether a write failed only because a unique index already holds the key (MongoDB error 11000): for a single
 * write its own code, for a bulk write every one of its failed writes. Callers treat that as "already there".
 */
export function onlyDuplicateKeys(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] };
  return (e.writeErrors ?? [{ code: e.code }]).every((w) => w.code === 11000);
}
