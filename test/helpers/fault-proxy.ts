import { listenOnLoopback } from './loopback.js';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

/** What the proxy knows about a request when choosing a fault. */
export interface ProxiedRequest {
  /** 1-based arrival number over the proxy's life. */
  n: number;
  method: string;
  /** Decoded path, e.g. `/bucket/some key`. */
  path: string;
  /** Object key when the path is `/<bucket>/<key>`, else ''. */
  key: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export type Fault =
  /** Answer with this status and an S3 XML error body; nothing reaches the upstream. */
  | { kind: 'status'; status: number; code: string }
  /** Destroy the client socket before any response byte. */
  | { kind: 'reset' }
  /** Forward status, headers and `afterBytes` body bytes, then destroy the client socket. */
  | { kind: 'resetMidBody'; afterBytes: number }
  /** Forward status, headers and `afterBytes` body bytes, then send nothing more and keep the socket open. */
  | { kind: 'stallMidBody'; afterBytes: number }
  /** Forward everything, but flip the bits of the body byte at `atByte` (a bit error the checksum must catch). */
  | { kind: 'corrupt'; atByte: number }
  /** Wait `ms` before forwarding. */
  | { kind: 'latency'; ms: number }
  /** A slow link: wait `ms`, then send the body at most `bytesPerSecond` (pieces of ≤ 16 KiB). */
  | { kind: 'throttle'; ms: number; bytesPerSecond: number }
  /** Accept the request and never answer (until the proxy stops or the client gives up). */
  | { kind: 'hang' }
  /** Forward, adding these headers to the answer (what a server states that s3rver does not: checksums, encryption). */
  | { kind: 'addHeaders'; headers: Record<string, string> }
  /** Answer with this exact response (e.g. a fabricated listing with keys the server cannot store). */
  | { kind: 'respond'; status: number; body: string; contentType?: string; headers?: Record<string, string> };

export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

export interface ProxyCounts {
  requests: number;
  /** Requests answered with a fault (status/reset/resetMidBody/stallMidBody/hang). */
  faults: number;
  /** Response body bytes sent to clients. */
  bytesToClient: number;
  /** GetObject requests (GET with a key). */
  gets: number;
  /** GetObject requests whose response has not ended yet, and the most there ever were at once. */
  getsInFlight: number;
  maxGetsInFlight: number;
}

export interface FaultProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: point the S3 client here instead of at the server. */
  endpoint: string;
  counts: ProxyCounts;
  /** Chooses a fault per request; `undefined` (the default) forwards untouched. */
  setRule(rule: FaultRule | undefined): void;
  resetCounts(): void;
  stop(): Promise<void>;
}

/** Writes `chunk` in pieces of ≤ 16 KiB, each followed by the pause that keeps the rate at `bytesPerSecond`. */
async function sendSlowly(res: ServerResponse, chunk: Buffer, bytesPerSecond: number, onSent: (bytes: number) => void): Promise<void> {
  for (let offset = 0; offset < chunk.length && !res.destroyed; offset += 16 * 1024) {
    const piece = chunk.subarray(offset, offset + 16 * 1024);
    res.write(piece);
    onSent(piece.length);
    await new Promise((resolve) => setTimeout(resolve, (1000 * piece.length) / bytesPerSecond));
  }
}

const s3ErrorBody = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by fault proxy</Message></Error>`;

/**
 * A small HTTP proxy in front of an S3-compatible server (cf. pg-boss test/halfOpenProxy.ts).
 * It forwards the Host header unchanged so SigV4 signatures stay valid.
 */
export async function startFaultProxy(upstream: string, options: { bucket?: string } = {}): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rule: FaultRule | undefined;
  let n = 0;
  const emptyCounts = (): ProxyCounts => ({ requests: 0, faults: 0, bytesToClient: 0, gets: 0, getsInFlight: 0, maxGetsInFlight: 0 });
  let counts = emptyCounts();
  const bucketPrefix = options.bucket ? `/${options.bucket}/` : undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    n += 1;
    counts.requests += 1;
    const url = new URL(req.url ?? '/', 'http://proxy');
    const path = decodeURIComponent(url.pathname);
    const key = keyOf(path, bucketPrefix);
    if (req.method === 'GET' && key !== '') {
      const counted = counts;
      counted.gets += 1;
      counted.getsInFlight += 1;
      counted.maxGetsInFlight = Math.max(counted.maxGetsInFlight, counted.getsInFlight);
      res.once('close', () => {
        counted.getsInFlight -= 1;
      });
    }
    const fault = rule?.({ n, method: req.method ?? 'GET', path, key, query: url.searchParams, headers: req.headers });
    if (fault && !['latency', 'throttle', 'respond', 'corrupt', 'addHeaders'].includes(fault.kind)) counts.faults += 1;
    const stall = fault?.kind === 'stallMidBody' ? fault : undefined;
    if (fault?.kind === 'status') {
      req.resume();
      const body = s3ErrorBody(fault.code);
      counts.bytesToClient += Buffer.byteLength(body);
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (fault?.kind === 'respond') {
      req.resume();
      counts.bytesToClient += Buffer.byteLength(fault.body);
      res.writeHead(fault.status, {
        'content-type': fault.contentType ?? 'application/xml',
        'content-length': Buffer.byteLength(fault.body),
        ...fault.headers,
      });
      res.end(fault.body);
      return;
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      req.resume();
      return;
    }
    const forward = () => {
      const upstreamReq = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, fault?.kind === 'addHeaders' ? { ...upstreamRes.headers, ...fault.headers } : upstreamRes.headers);
          let sent = 0;
          let throttled = Promise.resolve();
          upstreamRes.on('data', (chunk: Buffer) => {
            if (stall) {
              const part = chunk.subarray(0, Math.max(0, stall.afterBytes - sent));
              sent += part.length;
              counts.bytesToClient += part.length;
              if (part.length > 0) res.write(part);
              return;
            }
            if (fault?.kind === 'resetMidBody') {
              const room = fault.afterBytes - sent;
              if (room <= 0) return;
              const part = chunk.subarray(0, room);
              sent += part.length;
              counts.bytesToClient += part.length;
              res.write(part, () => {
                if (sent >= fault.afterBytes) {
                  upstreamRes.destroy();
                  res.socket?.destroy();
                }
              });
              return;
            }
            if (fault?.kind === 'corrupt' && fault.atByte >= sent && fault.atByte < sent + chunk.length) {
              chunk = Buffer.from(chunk);
              chunk[fault.atByte - sent] = chunk[fault.atByte - sent]! ^ 0xff;
            }
            if (fault?.kind === 'throttle') {
              upstreamRes.pause();
              throttled = throttled
                .then(() => sendSlowly(res, chunk, fault.bytesPerSecond, (bytes) => {
                  sent += bytes;
                  counts.bytesToClient += bytes;
                }))
                .then(() => {
                  upstreamRes.resume();
                });
              return;
            }
            sent += chunk.length;
            counts.bytesToClient += chunk.length;
            if (!res.write(chunk)) {
              upstreamRes.pause();
              res.once('drain', () => upstreamRes.resume());
            }
          });
          upstreamRes.on('end', () => {
            if (!stall) void throttled.then(() => res.end());
          });
          upstreamRes.on('error', () => res.destroy());
        },
      );
      upstreamReq.on('error', () => res.destroy());
      res.on('close', () => upstreamReq.destroy());
      req.pipe(upstreamReq);
    };
    if (fault?.kind === 'latency' || fault?.kind === 'throttle') setTimeout(forward, fault.ms);
    else forward();
  });

  const { port, stop } = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get counts() {
      return counts;
    },
    setRule(next) {
      rule = next;
    },
    resetCounts() {
      counts = emptyCounts();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function keyOf(path: string, bucketPrefix: string | undefined): string {
  if (bucketPrefix) return path.startsWith(bucketPrefix) ? path.slice(bucketPrefix.length) : '';
  const second = path.indexOf('/', 1);
  return second === -1 ? '' : path.slice(second + 1);
}

/**
 * A slow link until `lift()`: one throttle fault for a rule to return for every GET it slows. The
 * proxy reads its rate at each piece it forwards, so lifting it speeds up the GETs under way as well
 * as later ones.
 */
export function liftableThrottle(bytesPerSecond: number, ms = 0): { fault: Extract<Fault, { kind: 'throttle' }>; lift(): void } {
  const fault = { kind: 'throttle' as const, ms, bytesPerSecond };
  return {
    fault,
    lift() {
      fault.bytesPerSecond = Number.POSITIVE_INFINITY;
    },
  };
}

/** A fault proxy whose object GETs are throttled until `liftThrottle()`. */
export type ThrottledProxy = FaultProxy & { liftThrottle(): void };

/**
 * A proxy in front of `s3` that sends every object GET's body at `bytesPerSecond` (a slow link), so
 * a run lasts long enough to act on mid-way, until `liftThrottle()` (see `liftableThrottle`).
 */
export async function throttleObjectGets(s3: { endpoint: string; bucket: string }, bytesPerSecond: number): Promise<ThrottledProxy> {
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  const throttle = liftableThrottle(bytesPerSecond);
  proxy.setRule((req) => (req.method === 'GET' && req.key ? throttle.fault : undefined));
  return Object.assign(proxy, { liftThrottle: throttle.lift });
}
