import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import compression from 'compression';

/** Below this a body is sent as is: compressing a few hundred bytes costs more than it saves. */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/**
 * Responses compressed (br or gzip, as the client's Accept-Encoding allows) by the `compression`
 * package: large JSON listings, GraphQL results. Event streams are left alone (compression would
 * hold their events back), and so are bodies sent already compressed or marked `no-transform`
 * (GraphiQL's page, compressed once: use-graphiql-page.ts); WebSocket upgrades never pass through here.
 */
const compress = compression({
  threshold: COMPRESSION_THRESHOLD_BYTES,
  filter: (req, res) => !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream') && compression.filter(req, res),
});

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export function withCompression(handle: RequestListener): RequestListener {
  // compression is typed for Express; it only uses the Node request and response.
  const middleware = compress as unknown as Middleware;
  return (req, res) => middleware(req, res, () => handle(req, res));
}
