import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProxyServer, ProxySettings } from '../../config/outbound-proxy.js';
import type { ByteSource } from './byte-source.js';
import { BodyExchange, type BodyLine } from './http1-body.js';
import { framerFor, HttpProtocolError, MAX_HEAD_BYTES, parseHead, type BodyFramer, type ResponseHead } from './http1-framing.js';
import { authorityOf, openTunnel } from './proxy-tunnel.js';
import { abortError, timeoutError, whenAborted } from './request-signals.js';
import { TruncatedBodyError } from './retry.js';

export interface Http1ClientOptions {
  connectionTimeoutMs: number;
  /** A request with no byte in either direction for this long fails as a TimeoutError. */
  socketTimeoutMs: number;
  /** Idle connections kept per origin. */
  maxIdlePerOrigin: number;
  /** An idle connection is closed after this long, before the server's own keep-alive timeout. */
  idleTimeoutMs?: number;
  /** Extra TLS options (tests: a private CA). */
  tls?: Pick<ConnectionOptions, 'ca'>;
  /** Outbound proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); absent: every connection is direct. */
  proxy?: ProxySettings;
}

export interface Http1Request {
  secure: boolean;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

export interface Http1Response {
  status: number;
  headers: Record<string, string>;
  body: ByteSource;
}

/** Each socket reads into its own buffer of this size, reused for every read its consumer does not take in place. */
const READ_BUFFER_BYTES = 64 * 1024;

/** What a connection tells the pool of http1-client.ts. */
export interface Pool {
  release(connection: Connection): void;
  forget(connection: Connection): void;
}

type Phase = 'idle' | 'head' | 'body' | 'closed';

/** One socket, one request at a time. */
export class Connection {
  private phase: Phase = 'idle';
  /** The start of a head that continues in the next read (copied: the read buffer is reused). */
  private pendingHead: Buffer | null = null;
  /** Bytes of the current answer's head received so far. */
  private headBytes = 0;
  private framer: BodyFramer | null = null;
  private answer: { resolve: (response: Http1Response) => void; reject: (error: Error) => void } | null = null;
  private body: BodyExchange | null = null;
  private keepAlive = false;
  private unwatchAbort: () => void = () => {};
  /** The last request failed before any byte of its answer arrived. */
  failedBeforeAnswer = false;
  /**
   * Reading is held back. Kept here as well as by `socket.pause()`: the socket's stream side may
   * start reading again on its own (a resume scheduled earlier), and the read callback then
   * answers false, which stops reading after that one read.
   */
  private paused = false;

  private readonly socket: Socket;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  /** Plain HTTP through a proxy: requests in absolute form, with the proxy's credentials. */
  private readonly forwardingProxy: ProxyServer | null;
  /** What this connection's bodies may ask of it. */
  private readonly line: BodyLine = {
    carries: (body) => this.body === body,
    read: (on) => this.read(on),
    fail: (error) => this.fail(error),
  };

  private constructor(
    req: Http1Request,
    readonly origin: string,
    private readonly options: Http1ClientOptions,
    private readonly pool: Pool,
    route: { proxy: ProxyServer | null; tunnel?: Socket },
  ) {
    const onread = {
      buffer: () => this.nextReadBuffer(),
      callback: (n: number, buffer: Uint8Array) => {
        this.received(buffer as Buffer, n);
        return !this.paused;
      },
    };
    // tls.connect takes `onread` as net.connect does; @types/node lists it for net only.
    const tlsOptions: ConnectionOptions & { onread: typeof onread } = {
      host: req.host,
      port: req.port,
      servername: isIP(req.host) ? undefined : req.host,
      ALPNProtocols: ['http/1.1'],
      onread,
      ...options.tls,
      ...(route.tunnel ? { socket: route.tunnel } : {}),
    };
    this.forwardingProxy = req.secure ? null : route.proxy;
    const to = this.forwardingProxy ?? req;
    const socket = req.secure ? tlsConnect(tlsOptions) : netConnect({ host: to.host, port: to.port, onread });
    this.socket = socket;
    // TLS over a given socket (a proxy's tunnel) ignores `onread`: its reads come as 'data' events.
    if (route.tunnel) socket.on('data', (chunk: Buffer) => this.received(chunk, chunk.length));
    socket.on('error', (error) => this.fail(error));
    socket.on('end', () => this.ended());
    socket.on('close', () => this.fail(Object.assign(new Error('the connection closed'), { code: 'ECONNRESET' })));
    socket.on('timeout', () => {
      if (this.phase === 'idle') this.close();
      else this.fail(timeoutError(`socket idle for ${options.socketTimeoutMs} ms`));
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 1_000);
  }

  /** A new connection, once it is established (through `proxy` when given) and its TLS handshake done. */
  static async open(req: Http1Request, origin: string, options: Http1ClientOptions, pool: Pool, proxy: ProxyServer | null): Promise<Connection> {
    const tunnel = proxy && req.secure ? await openTunnel(proxy, req, options.connectionTimeoutMs, req.signal) : undefined;
    const connection = new Connection(req, origin, options, pool, { proxy, tunnel });
    const { socket } = connection;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(timeoutError(`no connection after ${options.connectionTimeoutMs} ms`)), options.connectionTimeoutMs);
      const unwatch = req.signal ? whenAborted(req.signal, () => socket.destroy(abortError(req.signal!))) : () => {};
      const settle = (error?: Error) => {
        clearTimeout(timer);
        unwatch();
        socket.off('error', settle);
        if (error) reject(error);
        else resolve(connection);
      };
      socket.once('error', settle);
      socket.once(req.secure ? 'secureConnect' : 'connect', () => settle());
    });
  }

  request(req: Http1Request): Promise<Http1Response> {
    if (this.phase !== 'idle') return Promise.reject(new Error('the connection is busy'));
    const proxy = this.forwardingProxy;
    const lines = [`GET ${proxy ? `http://${authorityOf(req)}${req.path}` : req.path} HTTP/1.1`];
    if (proxy?.authorization) lines.push(`proxy-authorization: ${proxy.authorization}`);
    for (const [name, value] of Object.entries(req.headers)) {
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) return Promise.reject(new Error(`header ${name} holds a line break`));
      lines.push(`${name}: ${value}`);
    }
    this.phase = 'head';
    this.pendingHead = null;
    this.headBytes = 0;
    this.failedBeforeAnswer = false;
    this.socket.setTimeout(this.options.socketTimeoutMs);
    if (req.signal) this.unwatchAbort = whenAborted(req.signal, () => this.fail(abortError(req.signal!)));
    const answer = new Promise<Http1Response>((resolve, reject) => (this.answer = { resolve, reject }));
    this.read(true);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
    return answer;
  }

  /** Back in the pool: reading on, so that the server's close is seen; its timeout closes it. */
  park(idleTimeoutMs: number): void {
    this.socket.setTimeout(idleTimeoutMs);
    this.read(true);
  }

  private read(on: boolean): void {
    this.paused = !on;
    // Our own pause (a bandwidth limit, a slow disk) is not the server's silence: no idle timeout while it lasts.
    if (this.phase === 'body') this.socket.setTimeout(on ? this.options.socketTimeoutMs : 0);
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  close(): void {
    this.phase = 'closed';
    this.pool.forget(this);
    this.socket.destroy();
  }

  /** Asked after each read: the body's consumer's memory while it offers some (no copy), else our own buffer. */
  private nextReadBuffer(): Buffer {
    const region = this.phase === 'body' ? this.body?.region?.() : null;
    return region && region.length > 0 ? region : this.readBuffer;
  }

  private received(buffer: Buffer, n: number): void {
    let data = buffer.subarray(0, n);
    while (data.length > 0) {
      if (this.phase === 'head') {
        const used = this.takeHead(data);
        if (used < 0) return;
        data = data.subarray(used);
      } else if (this.phase === 'body') {
        const body = this.body!;
        let used: number;
        try {
          used = this.framer!.feed(data, (piece) => body.deliver(piece));
        } catch (error) {
          // A malformed body (a bad chunk line): the exchange fails; never thrown out of the socket's callback.
          return this.fail(error as Error);
        }
        data = data.subarray(used);
        if (this.framer!.done) return this.bodyDone(data.length > 0);
      } else {
        // Bytes nobody asked for (idle, or after the end of a body): this connection cannot be trusted.
        return this.fail(new HttpProtocolError('the server sent bytes outside a response'));
      }
    }
  }

  /** Returns the bytes of `data` used by the head (-1 when an error ended the connection). */
  private takeHead(data: Buffer): number {
    const before = this.headBytes;
    this.headBytes += data.length;
    // A head that arrives whole in one read (the usual case) is searched and parsed in place.
    const all = this.pendingHead ? Buffer.concat([this.pendingHead, data]) : data;
    const end = all.indexOf('\r\n\r\n', Math.max(0, before - 3), 'latin1');
    if (end < 0) {
      this.pendingHead = all === data ? Buffer.from(data) : all;
      if (this.headBytes <= MAX_HEAD_BYTES) return data.length;
      this.fail(new HttpProtocolError('the response head is too large'));
      return -1;
    }
    this.pendingHead = null;
    let head: ResponseHead;
    try {
      head = parseHead(all.toString('latin1', 0, end));
      if (head.status < 200) {
        // An interim answer (100 Continue, 103 Early Hints): the real one follows.
        this.headBytes = 0;
        return end + 4 - before;
      }
      this.framer = framerFor(head);
    } catch (error) {
      this.fail(error as Error);
      return -1;
    }
    this.keepAlive = head.keepAlive && !this.framer.untilClose;
    this.phase = 'body';
    const body = new BodyExchange(this.line);
    this.body = body;
    const answer = this.answer!;
    this.answer = null;
    answer.resolve({ status: head.status, headers: head.headers, body: body.source() });
    return end + 4 - before;
  }

  private bodyDone(trailing: boolean): void {
    const body = this.body!;
    this.endExchange();
    this.phase = 'idle';
    body.settle(null);
    if (this.keepAlive && !trailing) this.pool.release(this);
    else this.close();
  }

  private endExchange(): void {
    this.unwatchAbort();
    this.unwatchAbort = () => {};
    this.framer = null;
    this.body = null;
  }

  /** The server closed its side: the end of a body that lasts until the close, else a cut. */
  private ended(): void {
    if (this.phase === 'body' && this.framer?.untilClose) {
      const body = this.body!;
      this.endExchange();
      this.close();
      body.settle(null);
    } else this.fail(Object.assign(new Error('the server closed the connection'), { code: 'ECONNRESET' }));
  }

  private fail(error: Error): void {
    const phase = this.phase;
    if (phase === 'closed') return;
    const answer = this.answer;
    const body = this.body;
    this.answer = null;
    this.endExchange();
    this.close();
    // Our own abort or timeout, not the server's doing.
    const ours = error.name === 'AbortError' || error.name === 'TimeoutError';
    if (phase === 'head') {
      // Closed or reset with no byte of an answer: the keep-alive race, worth sending again at once.
      this.failedBeforeAnswer = this.headBytes === 0 && !ours;
      answer?.reject(error);
    } else if (body) {
      body.settle(ours ? error : new TruncatedBodyError(error.message, { cause: error }));
    }
  }
}
