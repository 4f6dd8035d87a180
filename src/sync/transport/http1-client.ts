import { proxyFor } from '../../config/outbound-proxy.js';
import { Connection, type Http1ClientOptions, type Http1Request, type Http1Response } from './http1-connection.js';

export type { Http1ClientOptions, Http1Request, Http1Response };

/** Below the keep-alive timeout of common servers (Node's 5 s; S3's is longer). */
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;

/**
 * A keep-alive HTTP/1.1 client for GETs whose bodies go straight to their consumer: each socket
 * reads into one reused buffer (net's `onread`), or where the body's consumer offers (see
 * `ByteSource.readInto`), and body bytes are passed on from there, with no
 * per-read allocation, no parser copy and no stream in between: the main thread's CPU per GB is
 * what it saves (README, "Where the time goes"). Plain HTTP or TLS, directly or through an HTTP
 * proxy (absolute-form requests for http://, a CONNECT tunnel for https://).
 */
export function createHttp1Client(options: Http1ClientOptions) {
  const idle = new Map<string, Connection[]>();
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  let closed = false;

  const release = (connection: Connection) => {
    const list = idle.get(connection.origin) ?? [];
    if (closed || list.length >= options.maxIdlePerOrigin) return connection.close();
    list.push(connection);
    idle.set(connection.origin, list);
    connection.park(idleTimeoutMs);
  };
  const forget = (connection: Connection) => {
    const list = idle.get(connection.origin);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  };

  const send = async (req: Http1Request, reuse: boolean): Promise<Http1Response> => {
    const proxy = proxyFor(options.proxy, req);
    const origin = `${req.secure ? 'https' : 'http'}://${req.host}:${req.port}${proxy ? ` via ${proxy.host}:${proxy.port}` : ''}`;
    const parked = reuse ? idle.get(origin)?.pop() : undefined;
    const connection = parked ?? (await Connection.open(req, origin, options, { release, forget }, proxy));
    try {
      return await connection.request(req);
    } catch (error) {
      // A parked connection the server closed as we reused it: once more on a new one (a GET is idempotent).
      if (parked && connection.failedBeforeAnswer && !req.signal?.aborted) return send(req, false);
      throw error;
    }
  };

  return {
    request(req: Http1Request): Promise<Http1Response> {
      req.signal?.throwIfAborted();
      return send(req, true);
    },
    close() {
      closed = true;
      for (const list of idle.values()) for (const connection of list.splice(0)) connection.close();
    },
  };
}

export type Http1Client = ReturnType<typeof createHttp1Client>;
