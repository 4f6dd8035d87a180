import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { ProxyServer, ProxyTarget } from '../../config/outbound-proxy.js';
import { HttpProtocolError, MAX_HEAD_BYTES, parseHead } from './http1-framing.js';
import { abortError, timeoutError, whenAborted } from './request-signals.js';

/** A proxy refused a tunnel; its status classifies the error as an S3 answer's would (5xx: retried). */
export class ProxyRefusalError extends Error {
  override name = 'ProxyRefusalError';
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number, reason: string, proxy: ProxyServer, authority: string) {
    super(`the proxy ${proxy.host}:${proxy.port} refused a tunnel to ${authority}: HTTP ${status}${reason ? ` ${reason}` : ''}`);
    this.$metadata = { httpStatusCode: status };
  }
}

/** `host:port`, an IPv6 address bracketed. */
export function authorityOf(target: Pick<ProxyTarget, 'host' | 'port'>): string {
  return `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;
}

/**
 * A TCP connection to `target` through the proxy's CONNECT tunnel (RFC 9110 §9.3.6), for TLS to be
 * started on. The proxy resolves the target's name, as it would for any client behind it.
 */
export function openTunnel(proxy: ProxyServer, target: ProxyTarget, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  const authority = authorityOf(target);
  const socket = netConnect({ host: proxy.host, port: proxy.port });
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => fail(timeoutError(`no tunnel through the proxy after ${timeoutMs} ms`)), timeoutMs);
    const unwatch = signal ? whenAborted(signal, () => fail(abortError(signal))) : () => {};
    const closed = () => fail(Object.assign(new Error('the proxy closed the connection before the tunnel opened'), { code: 'ECONNRESET' }));
    const finish = () => {
      clearTimeout(timer);
      unwatch();
      socket.off('data', received);
      socket.off('error', fail);
      socket.off('close', closed);
    };
    function fail(error: Error) {
      finish();
      socket.destroy();
      reject(error);
    }
    function received(data: Buffer) {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail(new HttpProtocolError('the proxy answer is too large'));
        return;
      }
      let status: number;
      try {
        status = parseHead(head.toString('latin1', 0, end)).status;
      } catch (error) {
        return fail(error as Error);
      }
      if (status < 200 || status > 299) {
        const reason = /^HTTP\/1\.[01] \d{3} ?([^\r\n]*)/.exec(head.toString('latin1', 0, Math.min(end, 200)))?.[1] ?? '';
        return fail(new ProxyRefusalError(status, reason, proxy, authority));
      }
      // TLS speaks first on a new tunnel: bytes past the answer are not the server's.
      if (end + 4 < head.length) return fail(new HttpProtocolError('the proxy sent bytes after its answer to CONNECT'));
      finish();
      socket.pause();
      resolve(socket);
    }
    socket.on('data', received);
    socket.once('error', fail);
    socket.once('close', closed);
    socket.once('connect', () => {
      const authorization = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${authorization}\r\n`, 'latin1');
    });
  });
}
