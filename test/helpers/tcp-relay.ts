import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { freshDbUrl, onPostgres } from './db-url.js';

/**
 * A TCP relay on loopback in front of `target` that can be cut, as a database server that goes down
 * (open connections reset, new ones refused: ECONNREFUSED) and mended (listening again on the same port).
 */
export async function startTcpRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const relay = createServer((client) => {
        const upstream = createConnection(target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        port = (relay.address() as AddressInfo).port;
        server = relay;
        resolve();
      });
    });
  const cut = async () => {
    const relay = server;
    server = null;
    for (const socket of sockets) socket.resetAndDestroy();
    if (relay) await new Promise<void>((resolve) => relay.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    mend: listen,
    [Symbol.asyncDispose]: cut,
  };
}

/**
 * A fresh database on the PostgreSQL pass's server, reached through a relay: `dbUrl` points at the
 * relay, so cutting it is that server going down for whoever uses the URL.
 */
export async function startRelayedPostgres() {
  if (!onPostgres) throw new Error('startRelayedPostgres: only in the PostgreSQL pass');
  const url = new URL(await freshDbUrl(''));
  const relay = await startTcpRelay({ host: url.hostname, port: Number(url.port) });
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  return Object.assign(relay, { dbUrl: url.href });
}
