import type { IncomingMessage } from 'node:http';

/**
 * How a request's `Origin` relates to the service:
 * - `none`: no Origin header. Browsers send one on every cross-origin request (and on WebSocket
 *   upgrades), so this is curl, a Node client or a same-origin GET: nothing to police.
 * - `same`: the page was served by this service (Origin's host:port is the request's Host).
 * - `allowed`: listed in CORS_ORIGINS.
 * - `refused`: any other page, including the opaque origin `null` (sandboxed frames, file://).
 */
export type OriginVerdict = { kind: 'none' } | { kind: 'same' | 'allowed' | 'refused'; origin: string };

export interface OriginPolicy {
  judge(req: IncomingMessage): OriginVerdict;
}

/** Compares host and port only: behind a TLS-terminating proxy the scheme the page saw is not ours. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

export function createOriginPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const allowed = new Set(allowedOrigins);
  return {
    judge(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return { kind: 'none' };
      if (isSameOrigin(origin, req.headers.host)) return { kind: 'same', origin };
      let normalised: string | undefined;
      try {
        normalised = new URL(origin).origin;
      } catch {
        normalised = undefined;
      }
      return { kind: normalised !== undefined && allowed.has(normalised) ? 'allowed' : 'refused', origin };
    },
  };
}
