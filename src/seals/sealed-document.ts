/** Whether a document is a JWS JSON serialization (general or flattened), the form a JAdES-sealed credential has. */
export function isSealedDocument(doc: unknown): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  return typeof d.payload === 'string' && (Array.isArray(d.signatures) || typeof d.signature === 'string');
}

/** The credential a sealed document carries, read from its payload (unverified: for dates and display only). */
export function sealedPayload(doc: unknown): Record<string, unknown> | undefined {
  if (!isSealedDocument(doc)) return undefined;
  try {
    const payload: unknown = JSON.parse((doc as { payload: string }).payload);
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
