/**
 * Who is told when an issuer changes (a key rotation, a new issuer): this process's issuer cache, and the
 * broadcast to every other process (change-broadcast.ts). Whatever changes an issuer calls issuersChanged().
 */
const listeners = new Set<() => void>();

export function issuersChanged(): void {
  for (const listener of listeners) listener();
}

/** Returns the unsubscribe. */
export function onIssuersChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
