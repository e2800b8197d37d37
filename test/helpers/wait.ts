/**
 * Polls `probe` until it returns something, or fails naming `what` after `timeoutMs`; `state`, when given,
 * says what the system was doing, so an intermittent failure under load can be told apart.
 */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
  state?: () => unknown,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${state ? `: ${String(await state())}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
