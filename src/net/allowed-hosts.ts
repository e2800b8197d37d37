/** A host (and optionally one port) that may resolve to a private or loopback address. */
export interface HostAllowance {
  /** As `URL.hostname` spells it: lower case, IPv4 normalised, IPv6 in brackets. */
  hostname: string;
  /** Absent: every port of the host. */
  port?: number;
}

const ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

/** One entry, `host`, `host:port`, `[v6]` or `[v6]:port`; undefined when malformed. */
export function parseHostAllowance(entry: string): HostAllowance | undefined {
  const m = ENTRY.exec(entry.trim());
  if (!m?.[1]) return undefined;
  let hostname: string;
  try {
    // The URL parser spells the host the way a request URL will, so the two compare as strings.
    hostname = new URL(`http://${m[1]}/`).hostname;
  } catch {
    return undefined;
  }
  if (m[2] === undefined) return { hostname };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { hostname, port } : undefined;
}

/** The entries of a comma-separated list, and those that are malformed. */
export function parseHostAllowances(list: string): { allowances: HostAllowance[]; malformed: string[] } {
  const allowances: HostAllowance[] = [];
  const malformed: string[] = [];
  for (const entry of list.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const allowance = parseHostAllowance(entry);
    if (allowance) allowances.push(allowance);
    else malformed.push(entry);
  }
  return { allowances, malformed };
}

export function isAllowedHost(url: URL, allowances: readonly HostAllowance[]): boolean {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return allowances.some((a) => a.hostname === url.hostname && (a.port === undefined || a.port === port));
}
