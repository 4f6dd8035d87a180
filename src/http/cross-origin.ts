import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasBody } from './body.js';
import type { OriginPolicy } from './origin-policy.js';
import type { RouteResult } from './route.js';

/** How a refusal is worded for one part of the API (REST: `{"message"}`; GraphQL: `{"errors"}`). */
export type ErrorBody = (message: string, code: 'FORBIDDEN_ORIGIN' | 'UNSUPPORTED_MEDIA_TYPE') => unknown;

export const restErrorBody: ErrorBody = (message) => ({ message });

/** The request media types a handler reads; `+json` types (RFC 6839) count as JSON. */
export const JSON_MEDIA_TYPES = ['application/json'];

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type, accept';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function mediaTypeOf(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isAccepted(mediaType: string, accepted: readonly string[]): boolean {
  return accepted.includes(mediaType) || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

/**
 * The browser-facing edge of every path (issue 11): a page of another origin may neither read nor
 * change anything unless CORS_ORIGINS lists it. Returns the refusal to send, or undefined to go on
 * (having added the CORS headers an allowed origin needs, and answered its preflight).
 */
export function checkOrigin(req: IncomingMessage, res: ServerResponse, policy: OriginPolicy, errorBody: ErrorBody): RouteResult | undefined {
  const verdict = policy.judge(req);
  if (verdict.kind === 'none') return undefined;
  res.setHeader('vary', 'Origin');
  if (verdict.kind === 'refused') {
    const message = `Origin ${verdict.origin.slice(0, 200)} is not allowed: this API answers pages of its own origin and of the origins listed in CORS_ORIGINS`;
    return { status: 403, body: errorBody(message, 'FORBIDDEN_ORIGIN') };
  }
  if (verdict.kind === 'allowed') {
    // No Access-Control-Allow-Credentials: the API authenticates with a bearer header, never cookies.
    res.setHeader('access-control-allow-origin', verdict.origin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      const headers = {
        'access-control-allow-methods': ALLOWED_METHODS,
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      };
      return { status: 204, body: '', headers };
    }
  }
  return undefined;
}

/**
 * A body must declare a media type its handler reads (JSON). This shuts out the "simple" requests
 * any page can send without a preflight (form posts, `text/plain`), even from browsers that omit
 * `Origin`, and gives curl users without `-H 'content-type: application/json'` a clear answer.
 */
export function checkMediaType(req: IncomingMessage, mediaTypes: readonly string[], errorBody: ErrorBody): RouteResult | undefined {
  const method = req.method ?? 'GET';
  if (!BODY_METHODS.has(method) && !(method === 'DELETE' && hasBody(req))) return undefined;
  const mediaType = mediaTypeOf(req);
  if (isAccepted(mediaType, mediaTypes)) return undefined;
  const got = mediaType === '' ? 'none' : mediaType.slice(0, 100);
  return { status: 415, body: errorBody(`Content-Type must be ${mediaTypes.join(' or ')} (got ${got})`, 'UNSUPPORTED_MEDIA_TYPE') };
}
