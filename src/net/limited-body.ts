/**
 * A response body of at most `maxBytes`, or undefined when it is larger (declared or as it streams in): what a
 * server-side request reads from a stranger's server must not fill the memory. The rest is not read.
 */
export async function readLimitedBody(res: Response, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(res.headers.get('content-length') ?? NaN) > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const reader = res.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
