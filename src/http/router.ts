import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from '../config/logger.js';
import { withoutStatement } from '../config/statement-text.js';
import type { Services } from '../services/services.js';
import { isAuthorized } from './auth.js';
import { hasUnreadBody, MAX_BODY_BYTES, readJsonObject } from './body.js';
import { checkMediaType, checkOrigin, JSON_MEDIA_TYPES, restErrorBody, type ErrorBody } from './cross-origin.js';
import type { Metrics } from './metrics.js';
import type { OriginPolicy } from './origin-policy.js';
import { logRequest } from './request-log.js';
import type { Route, RouteResult } from './route.js';

/** A handler that writes the response itself (GraphQL), mounted on every method of `path`. */
export interface Mount {
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): unknown;
  /** Request media types the handler reads (default: JSON). */
  mediaTypes?: readonly string[];
  /** How the edge words its refusals (403 origin, 415 media type) here; default `{"message"}`. */
  errorBody?: ErrorBody;
}

export interface RouterDeps {
  routes: Route[];
  mounts?: Mount[];
  services: Services;
  apiToken?: string;
  logger: Logger;
  metrics: Metrics;
  /** Which browser origins may call the API (same-origin and CORS_ORIGINS). */
  originPolicy: OriginPolicy;
  /** Maps an error no route claimed to a wire body (service errors → the Flask bodies). */
  mapError(error: unknown): RouteResult;
}

type Entry = { kind: 'route'; route: Route } | { kind: 'mount'; mount: Mount };

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const noop = () => undefined;
/** The status logged and counted for a request whose client went away before it was answered (nginx's). */
const CLIENT_CLOSED_REQUEST = 499;

/** The client closed the connection while its request body was still arriving. */
function clientAborted(req: IncomingMessage, error: unknown): boolean {
  return req.destroyed && (error as { code?: string } | null)?.code === 'ECONNRESET';
}

function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort(new Error('the client went away'));
  });
  return gone.signal;
}

/** A path with a `%` not followed by two hex digits (or escaping invalid UTF-8): no route parameter can be read from it. */
function hasMalformedEscape(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

export function send(res: ServerResponse, { status, body, headers = {} }: RouteResult): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  // A refusal (401, 404, 413, …) leaves the body unread: close rather than read the rest.
  if (hasUnreadBody(res.req)) res.setHeader('connection', 'close');
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': contentType, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** One request handler for the whole server: route table + mounts, auth, error mapping, metrics and a log line. */
export function createRouter({ routes, mounts = [], services, apiToken, logger, metrics, originPolicy, mapError }: RouterDeps) {
  // Any length: a path parameter is validated by its route (an overlong job id is a 400 naming it, not "no route").
  const router = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 65_536 });
  for (const route of routes) {
    router.on(route.method, route.path, noop, { kind: 'route', route } satisfies Entry);
    if (route.method === 'GET') router.on('HEAD', route.path, noop, { kind: 'route', route } satisfies Entry);
  }
  for (const mount of mounts) router.all(mount.path, noop, { kind: 'mount', mount } satisfies Entry);
  let draining = false;
  const inFlight = new Set<ServerResponse>();

  async function dispatch(req: IncomingMessage, res: ServerResponse, entry: Entry, match: Record<string, string | undefined>, query: URLSearchParams) {
    if (entry.kind === 'mount') {
      // Mounted handlers buffer their bodies; refuse a declared oversize body before they read it.
      if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
        return send(res, { status: 413, body: { message: `Request body too large, the limit is ${MAX_BODY_BYTES} bytes (1 MiB)` } });
      }
      const { mediaTypes = JSON_MEDIA_TYPES, errorBody = restErrorBody } = entry.mount;
      const refused = checkMediaType(req, mediaTypes, errorBody);
      if (refused) return send(res, refused);
      // HEAD is a GET whose answer has no body: the response knows (it read the method when it was
      // made) and drops the body the handler writes; the handler (yoga) only knows GET and POST.
      if (req.method === 'HEAD') req.method = 'GET';
      return entry.mount.handle(req, res);
    }
    const { route } = entry;
    if (route.auth !== false && !isAuthorized(req.headers.authorization, apiToken)) {
      return send(res, { status: 401, body: { message: 'Unauthorized' }, headers: { 'www-authenticate': 'Bearer' } });
    }
    const refused = checkMediaType(req, JSON_MEDIA_TYPES, restErrorBody);
    if (refused) return send(res, refused);
    try {
      send(res, await route.handler({ req, params: match, query, services, signal: clientGone(res), readJsonObject: () => readJsonObject(req) }));
    } catch (error) {
      if (clientAborted(req, error)) return;
      const result = route.mapError?.(error) ?? mapError(error);
      // 503: the database is down, restarting or (SQLite) locked by another process, not a defect of the request or the service.
      if (result.status === 503) logger.warn({ route: route.path, reason: withoutStatement(String((error as Error).message)) }, 'request failed: service unavailable');
      else if (result.status >= 500) logger.error({ err: error, route: route.path }, 'request failed');
      // A client that sent an oversize body is not kept, even when its body was read and dropped in full.
      if (result.status === 413) res.setHeader('connection', 'close');
      send(res, result);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const found = router.find(method as HTTPMethod, url);
    const entry = found?.store as Entry | undefined;
    const pattern = entry ? (entry.kind === 'route' ? entry.route.path : entry.mount.path) : undefined;
    if (draining) res.setHeader('connection', 'close');
    inFlight.add(res);

    res.once('close', () => {
      inFlight.delete(res);
      const seconds = (performance.now() - started) / 1000;
      const status = res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST;
      metrics.observeRequest({ method, route: pattern ?? 'unmatched', status, seconds });
      const level = entry?.kind === 'route' ? (entry.route.logLevel ?? 'info') : 'info';
      logRequest(logger, { method, route: pattern ?? path.slice(0, 200), status, durationMs: seconds * 1000, level });
    });

    const refusedOrigin = checkOrigin(req, res, originPolicy, (entry?.kind === 'mount' && entry.mount.errorBody) || restErrorBody);
    if (refusedOrigin) return send(res, refusedOrigin);

    if (!found || !entry) {
      if (hasMalformedEscape(path)) return send(res, { status: 400, body: { message: 'Malformed percent-encoding in the URL path' } });
      const allowed = METHODS.filter((m) => m !== method && router.find(m, url) !== null);
      if (allowed.length > 0) {
        return send(res, { status: 405, body: { message: `Method ${method} not allowed, use ${allowed.join(', ')}` }, headers: { allow: allowed.join(', ') } });
      }
      return send(res, { status: 404, body: { message: `Not found: no route for ${method} ${path.slice(0, 200)}` } });
    }
    dispatch(req, res, entry, found.params, query).catch((error: unknown) => {
      logger.error({ err: error, route: pattern }, 'request failed');
      send(res, { status: 500, body: { message: 'Internal server error' } });
    });
  }

  return {
    handle,
    /** From now on every response asks the client to close its connection (graceful stop). */
    drain(): void {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
