import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, test } from 'vitest';
import { readAll, type ByteSource } from '../../src/sync/transport/byte-source.js';
import { createHttp1Client, type Http1ClientOptions, type Http1Request } from '../../src/sync/transport/http1-client.js';
import { isRetriableS3Error } from '../../src/sync/transport/retry.js';
import { seededBytes, sha256 } from '../helpers/files.js';
import { selfSignedCertificate } from '../helpers/self-signed.js';
import { waitFor } from '../helpers/poll.js';

/**
 * The GET transport's HTTP/1.1 client against a scripted server on loopback: each test answers the
 * request bytes it gets with exactly the bytes it wants, split as it wants.
 */
type Answer = (socket: Socket, request: string, index: number) => void;

interface ScriptedServer {
  port: number;
  connections: number;
  requests: string[];
}

const servers: Server[] = [];
const clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** `server`: a TLS server instead (its sockets come with 'secureConnection'). */
function startScripted(answer: Answer, server?: Server): Promise<ScriptedServer> {
  const state = { connections: 0, requests: [] as string[] };
  const onSocket = (socket: Socket) => {
    state.connections += 1;
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.requests.push(request);
        answer(socket, request, state.requests.length - 1);
      }
    });
  };
  const listener = server ?? createServer();
  listener.on(server ? 'secureConnection' : 'connection', onSocket);
  servers.push(listener);
  return new Promise((resolve) =>
    listener.listen(0, '127.0.0.1', () => {
      const port = (listener.address() as { port: number }).port;
      resolve({ port, get connections() { return state.connections; }, requests: state.requests });
    }),
  );
}

function client(overrides: Partial<Http1ClientOptions> = {}) {
  const c = createHttp1Client({ connectionTimeoutMs: 2_000, socketTimeoutMs: 5_000, maxIdlePerOrigin: 4, ...overrides });
  clients.push(c);
  return c;
}

const get = (port: number, extra: Partial<Http1Request> = {}): Http1Request => ({ secure: false, host: '127.0.0.1', port, path: '/bucket/key', headers: { host: `127.0.0.1:${port}` }, ...extra });

/** Writes `data` a few bytes at a time, so heads and bodies cross read boundaries. */
async function dribble(socket: Socket, data: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < data.length; at += piece) {
    socket.write(data.subarray(at, at + piece));
    await new Promise((r) => setImmediate(r));
  }
}

const BODY = seededBytes(300_000, 7);

/**
 * Reads a body the way the batch writer does: offering `into`, from where the last piece ended, for
 * the socket's reads, and copying only the pieces that did not land there. Returns the bytes read.
 */
async function readInPlace(body: ByteSource, into: Buffer): Promise<{ length: number; inPlace: number }> {
  let filled = 0;
  let inPlace = 0;
  body.readInto?.(() => into.subarray(filled));
  await body.pipeTo((piece) => {
    if (piece.buffer === into.buffer && piece.byteOffset === into.byteOffset + filled) inPlace += 1;
    else piece.copy(into, filled);
    filled += piece.length;
  });
  return { length: filled, inPlace };
}

describe('the HTTP/1.1 GET client', () => {
  test('a Content-Length body arrives whole even when the head and body are split across reads; the connection is reused', async () => {
    const server = await startScripted((socket, _request, index) => {
      const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nETag: "e${index}"\r\nX-Dup: a\r\nX-Dup: b\r\nConstructor: c\r\n__proto__: p\r\n\r\n`, 'latin1');
      void dribble(socket, Buffer.concat([head, BODY]), index === 0 ? 7 : 65_536);
    });
    const c = client();
    for (const round of [0, 1]) {
      const response = await c.request(get(server.port));
      expect(response.status).toBe(200);
      expect(response.headers.etag).toBe(`"e${round}"`);
      expect(response.headers['x-dup']).toBe('a, b');
      expect([response.headers.constructor, response.headers['__proto__']]).toEqual(['c', 'p']);
      expect(sha256(await readAll(response.body))).toBe(sha256(BODY));
    }
    expect(server.connections).toBe(1);
    expect(server.requests[0]).toMatch(/^GET \/bucket\/key HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+$/);
  });

  test('a chunked body (extensions, trailers) is decoded; an interim 100 answer is skipped', async () => {
    const server = await startScripted((socket) => {
      const parts = [BODY.subarray(0, 1000), BODY.subarray(1000, 70_000), BODY.subarray(70_000)];
      const chunks = parts.map((p, i) => Buffer.concat([Buffer.from(`${p.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n`), p, Buffer.from('\r\n')]));
      const message = Buffer.concat([
        Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'),
        ...chunks,
        Buffer.from('0\r\nX-Trailer: t\r\n\r\n'),
      ]);
      void dribble(socket, message, 333);
    });
    const c = client();
    const response = await c.request(get(server.port));
    expect(sha256(await readAll(response.body))).toBe(sha256(BODY));
    // The message ended at the last CRLF: the same connection serves the next GET.
    expect(sha256(await readAll((await c.request(get(server.port))).body))).toBe(sha256(BODY));
    expect(server.connections).toBe(1);
  });

  test('a body without a length lasts until the close, and that connection is not reused', async () => {
    const server = await startScripted((socket) => {
      socket.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'), BODY]));
    });
    const c = client();
    expect(sha256(await readAll((await c.request(get(server.port))).body))).toBe(sha256(BODY));
    expect(sha256(await readAll((await c.request(get(server.port))).body))).toBe(sha256(BODY));
    expect(server.connections).toBe(2);
  });

  test('a body read in place lands in the memory its consumer offers, whole; once it ends, no read lands there', async () => {
    let idleSocket: Socket | null = null;
    const server = await startScripted((socket, _request, index) => {
      idleSocket = socket;
      const body = index === 0 ? BODY : Buffer.concat([Buffer.from(`${BODY.length.toString(16)}\r\n`), BODY, Buffer.from('\r\n0\r\n\r\n')]);
      const head = `HTTP/1.1 200 OK\r\n${index === 0 ? `Content-Length: ${BODY.length}` : 'Transfer-Encoding: chunked'}\r\n\r\n`;
      void dribble(socket, Buffer.concat([Buffer.from(head), body]), 50_000);
    });
    const c = client();
    // Room past the body, so the offer outlives it.
    const into = Buffer.alloc(BODY.length + 100_000);
    const first = await readInPlace((await c.request(get(server.port))).body, into);
    expect(first.length).toBe(BODY.length);
    expect(sha256(into.subarray(0, BODY.length))).toBe(sha256(BODY));
    expect(first.inPlace).toBeGreaterThan(0);
    // Chunked framing moves pieces off the read's start: those are copied, and still arrive whole.
    into.fill(0);
    expect((await readInPlace((await c.request(get(server.port))).body, into)).length).toBe(BODY.length);
    expect(sha256(into.subarray(0, BODY.length))).toBe(sha256(BODY));

    // The consumer still offers its memory: bytes sent to the parked connection must not land there.
    into.fill(0);
    const dropped = new Promise((resolve) => idleSocket!.once('close', resolve));
    idleSocket!.write(Buffer.alloc(200_000, 0x6a));
    await dropped;
    expect(into.every((byte) => byte === 0)).toBe(true);
  });

  test('a body cut before its length fails as retriable; a malformed answer too', async () => {
    const server = await startScripted((socket, _request, index) => {
      if (index === 0) socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY.subarray(0, 5000)]));
      else socket.end('SPDY/9 200 OK\r\n\r\n');
    });
    const c = client();
    const cut = await c.request(get(server.port));
    const received: Buffer[] = [];
    const error = await cut.body.pipeTo((piece) => received.push(Buffer.from(piece))).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TruncatedBodyError' });
    expect(isRetriableS3Error(error)).toBe(true);
    expect(Buffer.concat(received)).toEqual(BODY.subarray(0, 5000));
    const malformed = await c.request(get(server.port)).catch((e: unknown) => e);
    expect(malformed).toMatchObject({ name: 'HttpProtocolError' });
    expect(isRetriableS3Error(malformed)).toBe(true);
  });

  test('a parked connection the server has closed is replaced without failing the GET', async () => {
    const server = await startScripted((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
      // The server drops the kept-alive connection right after answering, as a keep-alive timeout would.
      setTimeout(() => socket.destroy(), 20);
    });
    const c = client();
    expect((await readAll((await c.request(get(server.port))).body)).toString()).toBe('ok');
    await new Promise((r) => setTimeout(r, 100));
    expect((await readAll((await c.request(get(server.port))).body)).toString()).toBe('ok');
    expect(server.connections).toBe(2);
  });

  test('a GET on a reused connection that is reset before any answer is sent once more on a new one', async () => {
    const server = await startScripted((socket, _request, index) => {
      // The keep-alive race: the server closes the connection just as the second GET arrives on it.
      if (index === 1) return socket.destroy();
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    });
    const c = client();
    expect((await readAll((await c.request(get(server.port))).body)).toString()).toBe('ok');
    expect((await readAll((await c.request(get(server.port))).body)).toString()).toBe('ok');
    expect(server.requests).toHaveLength(3);
    expect(server.connections).toBe(2);
    // On a new connection the same reset is the caller's to retry.
    const fresh = await startScripted((socket) => socket.destroy());
    await expect(client().request(get(fresh.port))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(fresh.requests).toHaveLength(1);
  });

  test('pause holds the body back until resume; an abort ends a stalled body at once', async () => {
    const server = await startScripted((socket) => {
      // Half the body, then nothing: the rest never comes.
      void dribble(socket, Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY.subarray(0, 150_000)]), 10_000);
    });
    const controller = new AbortController();
    const response = await client().request(get(server.port, { signal: controller.signal }));
    let received = 0;
    let paused = false;
    const done = response.body.pipeTo((piece) => {
      received += piece.length;
      if (!paused) {
        paused = true;
        response.body.pause();
      }
    });
    await new Promise((r) => setTimeout(r, 150));
    const whilePaused = received;
    // At most one more read lands after the pause (the server wrote 15 pieces of 10,000 bytes).
    expect(whilePaused).toBeLessThanOrEqual(2 * 65_536);
    expect(whilePaused).toBeLessThan(150_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(whilePaused);
    response.body.resume();
    await waitFor(() => received === 150_000, 5_000, 'the first half after resume');
    const started = Date.now();
    controller.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test('a body the reader pauses for longer than the socket timeout (a bandwidth limit) does not time out', async () => {
    const server = await startScripted((socket) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY])));
    const response = await client({ socketTimeoutMs: 200 }).request(get(server.port));
    let received = 0;
    let paused = false;
    const done = response.body.pipeTo((piece) => {
      received += piece.length;
      if (paused) return;
      paused = true;
      response.body.pause();
      setTimeout(() => response.body.resume(), 600);
    });
    await expect(done).resolves.toBeUndefined();
    expect(received).toBe(BODY.length);
  });

  test('a body idle past the socket timeout fails as a TimeoutError', async () => {
    const server = await startScripted((socket) => socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc`));
    const response = await client({ socketTimeoutMs: 200 }).request(get(server.port));
    const error = await readAll(response.body).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(isRetriableS3Error(error)).toBe(true);
  });
});

describe('over TLS', () => {
  test('a body read over TLS (into the reused read buffer, or in place) arrives whole, verified against a private CA', async () => {
    const { key, cert } = selfSignedCertificate('localhost', 'DNS:localhost,IP:127.0.0.1');
    const tlsServer = createTlsServer({ key, cert });
    const server = await startScripted((socket) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`), BODY])), tlsServer);
    const c = client({ tls: { ca: cert } });
    for (const host of ['localhost', '127.0.0.1']) {
      const response = await c.request(get(server.port, { secure: true, host }));
      expect(sha256(await readAll(response.body))).toBe(sha256(BODY));
    }
    // Decrypted records land in the consumer's memory as plain reads do.
    const into = Buffer.alloc(BODY.length);
    const inPlace = await readInPlace((await c.request(get(server.port, { secure: true, host: 'localhost' }))).body, into);
    expect({ length: inPlace.length, sha: sha256(into) }).toEqual({ length: BODY.length, sha: sha256(BODY) });
    expect(inPlace.inPlace).toBeGreaterThan(0);
    const untrusted = await client().request(get(server.port, { secure: true, host: 'localhost' })).catch((e: unknown) => e);
    expect(untrusted).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
