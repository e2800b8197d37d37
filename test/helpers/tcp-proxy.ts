import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A TCP proxy in front of a server, to break the network between a process and it the way real networks
 * break: `freeze()` leaves every open connection half-open (bytes go nowhere, nothing closes, as after a
 * failover behind a stateful firewall); `refuse(true)` turns new connections away until `refuse(false)`.
 */
export interface TcpProxy {
  port: number;
  freeze(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (d) => void (pair.frozen || upstream.write(d)));
    upstream.on('data', (d) => void (pair.frozen || client.write(d)));
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A frozen connection does not even pass on a close: the other side waits, as it would on a dead link.
    client.on('close', () => pair.frozen || end());
    upstream.on('close', () => pair.frozen || end());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    freeze() {
      for (const pair of open) pair.frozen = true;
    },
    refuse(on) {
      refusing = on;
    },
    async close() {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
