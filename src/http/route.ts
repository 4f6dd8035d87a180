import type { IncomingMessage } from 'node:http';
import type { HTTPMethod } from 'find-my-way';
import type { Services } from '../services/services.js';

/** What a JSON route returns; a string body is sent as is with its own content type. */
export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  req: IncomingMessage;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  services: Services;
  /** Aborted when the client goes away before its answer is sent: long work (a preview's listing) stops. */
  signal: AbortSignal;
  /** The body as a JSON object; 400 for non-JSON or non-object bodies, 413 above 1 MiB. */
  readJsonObject(): Promise<Record<string, unknown>>;
}

/** One row of the route table. Handlers parse, call one service method and shape the result. */
export interface Route {
  method: HTTPMethod;
  path: string;
  handler(ctx: RouteContext): Promise<RouteResult>;
  /** Needs `Authorization: Bearer <API_TOKEN>` when a token is configured. Default true. */
  auth?: boolean;
  /** Maps an error to this route's wire body before the default mapping; undefined falls through. */
  mapError?(error: unknown): RouteResult | undefined;
  /** Log level of the per-request line; probes use debug so they do not flood the logs. */
  logLevel?: 'info' | 'debug';
}
