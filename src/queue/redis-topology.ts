/**
 * Where Redis is, read from REDIS_URL: one server (`redis://`, `rediss://`), a primary watched by Sentinel
 * (`redis+sentinel://[user:password@]host:port[,host:port...]/<primary name>[/<db>]`), or a Redis Cluster
 * (`redis+cluster://[user:password@]host:port[,host:port...]`); `rediss+sentinel://` and `rediss+cluster://` speak
 * TLS. Parsed by hand: several hosts in one authority are no WHATWG URL.
 */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      db: number;
      username?: string;
      password?: string;
      tls: boolean;
    }
  | {
      kind: 'cluster';
      nodes: { host: string; port: number }[];
      username?: string;
      password?: string;
      tls: boolean;
    };

const MULTI =
  /^(rediss?)\+(sentinel|cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([^/?#]*))?(?:\/(\d+))?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The topology of a REDIS_URL, or why it is not one (the message names what to fix). */
export function parseRedisUrl(url: string): RedisTopology | { problem: string } {
  if (/^rediss?:\/\/.+/.test(url)) return { kind: 'single', url };
  const m = MULTI.exec(url);
  if (!m)
    return {
      problem:
        'must be redis://, rediss://, redis+sentinel://host:port[,host:port]/<primary name> or redis+cluster://host:port[,host:port]',
    };
  const [, scheme, kind, user, pass, hosts, name, db] = m;
  const nodes = hosts!.split(',').map((h) => HOST_PORT.exec(h.trim()));
  if (nodes.some((n) => !n || Number(n[2]) < 1 || Number(n[2]) > 65_535))
    return { problem: `every host must be host:port (a port from 1 to 65535): ${hosts}` };
  const list = nodes.map((n) => ({ host: n![1]!.replace(/^\[|\]$/g, ''), port: Number(n![2]) }));
  const auth = {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
    tls: scheme === 'rediss',
  };
  if (kind === 'cluster') {
    if (name || db) return { problem: 'a cluster URL names seed nodes only (no primary name, no database)' };
    return { kind: 'cluster', nodes: list, ...auth };
  }
  if (!name) return { problem: 'a Sentinel URL must name the primary after the hosts: .../<primary name>' };
  return { kind: 'sentinel', sentinels: list, name: decodeURIComponent(name), db: Number(db ?? 0), ...auth };
}

/**
 * The key prefix of one BullMQ queue: a hash tag of the installation's prefix and the queue's name, so that every
 * key of a queue lies in one Redis Cluster slot (BullMQ's scripts touch several keys at once) while different
 * queues spread over the cluster's nodes.
 */
export function queueKeyPrefix(prefix: string, queueName: string): string {
  return `{${prefix}:${queueName}}`;
}
