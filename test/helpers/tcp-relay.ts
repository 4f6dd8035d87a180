import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { freshDbUrl, onPostgres } from './db-url.js';

/**
 * A TCP relay on loopback in front of `target` that can be cut, as a database server that goes down
 * (open connections reset, new ones refused: ECONNREFUSED) and mended (listening again on the same port),
 * or black-holed, as a host that hangs (open and new connections stay up and nothing crosses).
 */
export async function startTcpRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  let queryToCut: Buffer | null = null;
  let queriesCut = 0;
  let blackHoled = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      // Half-open allowed: a black-holed connection must not answer the client's FIN either.
      const relay = createServer({ allowHalfOpen: true }, (client) => {
        track(client);
        if (blackHoled) {
          client.on('data', () => {});
          return;
        }
        const upstream = createConnection(target);
        track(upstream);
        client.on('data', (chunk: Buffer) => {
          if (blackHoled) return;
          if (queryToCut && sendsQuery(chunk, queryToCut)) {
            queryToCut = null;
            queriesCut += 1;
            client.resetAndDestroy();
            upstream.destroy();
            return;
          }
          if (!upstream.write(chunk)) {
            client.pause();
            upstream.once('drain', () => client.resume());
          }
        });
        client.on('end', () => {
          if (!blackHoled) upstream.end();
        });
        upstream.on('data', (chunk: Buffer) => {
          if (blackHoled) return;
          if (!client.write(chunk)) {
            upstream.pause();
            client.once('drain', () => upstream.resume());
          }
        });
        upstream.on('end', () => {
          if (!blackHoled) client.end();
        });
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => {
        port = (relay.address() as AddressInfo).port;
        server = relay;
        resolve();
      });
    });
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const cut = async () => {
    blackHoled = false;
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
    /** From now on nothing crosses: bytes either way are dropped, new connections accepted and never answered. */
    blackHole() {
      blackHoled = true;
    },
    /**
     * The next connection to send a PostgreSQL simple query starting with `text` is reset before
     * the server sees it (that connection only, once): as a restart met by that one statement.
     */
    cutAtQuery(text: string) {
      queryToCut = Buffer.from(text);
    },
    get queriesCut() {
      return queriesCut;
    },
    [Symbol.asyncDispose]: cut,
  };
}

/** Whether a client→server chunk holds a simple query message ('Q', its int32 length, then the SQL) whose SQL starts with `text`. */
function sendsQuery(chunk: Buffer, text: Buffer): boolean {
  for (let at = chunk.indexOf(text); at !== -1; at = chunk.indexOf(text, at + 1)) {
    if (at >= 5 && chunk[at - 5] === 'Q'.charCodeAt(0)) return true;
  }
  return false;
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
