import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { listenOnLoopback } from './loopback.js';
import { selfSignedCertificate } from './self-signed.js';

/** What the proxy was asked: CONNECT with an authority, or a method with an absolute URL. */
export interface ProxiedCall {
  method: string;
  target: string;
  /** The Proxy-Authorization header was the expected one (always true when none is required). */
  authorized: boolean;
}

export interface ForwardProxy extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, with `user:password@` when the proxy requires them. */
  url: string;
  calls: ProxiedCall[];
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /**
   * Names only this proxy can reach (`s3.example.invalid:443` → `127.0.0.1:40123`): a request
   * that bypassed it would fail to resolve. Other targets are refused with 502.
   */
  routes: Record<string, string>;
  /** Basic credentials the proxy requires (407 otherwise). */
  credentials?: { user: string; password: string };
}

const HOP_BY_HOP = new Set(['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive']);

/**
 * A forward proxy as corporate networks run them (squid, tinyproxy): absolute-form requests for
 * http:// targets, CONNECT tunnels for https:// ones, optionally behind Basic credentials.
 */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const calls: ProxiedCall[] = [];
  const expected = options.credentials && `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`;
  const sockets = new Set<Socket>();
  const authorizedCall = (req: IncomingMessage): boolean => {
    const authorized = !expected || req.headers['proxy-authorization'] === expected;
    calls.push({ method: req.method ?? '', target: req.url ?? '', authorized });
    return authorized;
  };
  const upstreamOf = (authority: string) => options.routes[authority]?.split(':');

  const server = createServer((req, res) => {
    if (!authorizedCall(req)) return res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
    const url = new URL(req.url ?? '');
    const upstream = upstreamOf(url.host.includes(':') ? url.host : `${url.host}:80`);
    if (!upstream) return res.writeHead(502).end();
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const forwarded = httpRequest({ host: upstream[0], port: Number(upstream[1]), method: req.method, path: url.pathname + url.search, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!authorizedCall(req)) return client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
    const upstream = upstreamOf(req.url ?? '');
    if (!upstream) return client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    const target = netConnect({ host: upstream[0], port: Number(upstream[1]) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
    sockets.add(target);
    target.on('close', () => sockets.delete(target));
    target.on('error', () => client.destroy());
  });
  const { port, stop } = await listenOnLoopback(server);
  const auth = options.credentials ? `${encodeURIComponent(options.credentials.user)}:${encodeURIComponent(options.credentials.password)}@` : '';
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await stop();
  };
  return { url: `http://${auth}127.0.0.1:${port}`, calls, close, [Symbol.asyncDispose]: close };
}

export interface HttpsFront extends AsyncDisposable {
  port: number;
  /** The certificate (of `host`) clients must trust. */
  ca: Buffer;
  /** Method and path of each request, as it arrived over TLS. */
  requests: string[];
  close(): Promise<void>;
}

/** An https:// server for `host` (a self-signed certificate) that passes each request on to `upstream` (http://host:port). */
export async function startHttpsFront(host: string, upstream: string): Promise<HttpsFront> {
  const { key, cert } = selfSignedCertificate(host, `DNS:${host}`);
  const to = new URL(upstream);
  const requests: string[] = [];
  const server = createHttpsServer({ key, cert }, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const forwarded = httpRequest({ host: to.hostname, port: Number(to.port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  const { port, stop } = await listenOnLoopback(server);
  return { port, ca: cert, requests, close: stop, [Symbol.asyncDispose]: stop };
}
