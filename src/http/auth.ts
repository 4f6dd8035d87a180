import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * True when no token is configured, or when `authorization` is `Bearer <token>`.
 * Compares digests in constant time so neither the token nor its length leaks through timing.
 */
export function isAuthorized(authorization: string | null | undefined, apiToken: string | undefined): boolean {
  if (!apiToken) return true;
  const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  if (!match?.[1]) return false;
  return timingSafeEqual(digest(match[1]), digest(apiToken));
}
