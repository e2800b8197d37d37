/** The distinct origins of `urls` for a CSP source list (frame-ancestors, form-action); unparsable ones dropped. */
export function cspOrigins(urls: string[] = []): string[] {
  const origins = urls.map((url) => {
    try {
      return new URL(url).origin;
    } catch {
      return undefined;
    }
  });
  return [...new Set(origins.filter((o): o is string => Boolean(o)))];
}
