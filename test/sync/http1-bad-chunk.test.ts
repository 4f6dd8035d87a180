import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { readAll } from '../../src/sync/transport/byte-source.js';
import { createHttp1Client } from '../../src/sync/transport/http1-client.js';

/**
 * A server (a job's own endpoint, a proxy, a buggy S3-compatible store) that answers a GET with a
 * malformed chunked body. The framer throws inside the socket's onread callback: before, that was an
 * uncaught exception, which killed the engine thread (every run on it FAILED "internal error", other
 * jobs' included) or, with SYNC_THREAD=false, the whole service.
 */
const servers: Server[] = [];
const clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function serve(answer: string): Promise<number> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end(answer, 'latin1'));
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('the HTTP/1.1 GET client and a malformed chunked body', () => {
  for (const [what, body] of [
    ['a chunk size line that is not hex', 'zz-not-hex\r\nhello\r\n0\r\n\r\n'],
    ['a chunk not followed by CRLF', '5\r\nhelloXX\r\n0\r\n\r\n'],
  ] as const) {
    test(`${what}: the body fails with HttpProtocolError, nothing is thrown out of the socket's callback`, async () => {
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      try {
        const port = await serve(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
        const c = createHttp1Client({ connectionTimeoutMs: 2_000, socketTimeoutMs: 3_000, maxIdlePerOrigin: 4 });
        clients.push(c);
        const outcome = await c
          .request({ secure: false, host: '127.0.0.1', port, path: '/bkt/evil/x', headers: { host: `127.0.0.1:${port}` } })
          .then((response) => readAll(response.body))
          .then(
            () => 'read whole',
            (error: unknown) => error,
          );
        expect(uncaught).toEqual([]);
        expect(outcome).toMatchObject({ name: expect.stringMatching(/HttpProtocolError|TruncatedBodyError/) });
      } finally {
        process.off('uncaughtException', onUncaught);
      }
    }, 15_000);
  }
});
