import { isHostAllowed } from '../config/host-list.js';
import { hasControlOrUnstorableText } from '../db/storable-text.js';

/** Longest webhook URL accepted (browsers and proxies commonly stop near 2,000 characters). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Why `text` cannot be a webhook target, or null when it can: an absolute http(s) URL, no user
 * name or password in it (they would be stored and shown in the API), within the length limit, no
 * control character or unpaired surrogate and, when WEBHOOK_ALLOWED_HOSTS is set, on an allowed host.
 */
export function webhookUrlProblem(text: string, allowedHosts: readonly string[] | null): string | null {
  if (text.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  // The URL parser would percent-encode a NUL or a lone surrogate in the path, but the text is stored
  // as given (in JSON, where PostgreSQL refuses both): refused here, with tabs and line breaks.
  if (hasControlOrUnstorableText(text)) return 'must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute http(s) URL, e.g. https://hooks.example.com/dss';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https (got ${url.protocol.slice(0, -1)})`;
  if (url.username || url.password) return 'must not contain credentials (user:password@); put a secret in the path or query, or verify X-DSS-Signature';
  if (!isHostAllowed(url.hostname, allowedHosts)) return `host ${url.hostname} is not in WEBHOOK_ALLOWED_HOSTS`;
  return null;
}

/** What logs may show of a target: its origin (a path or query string may carry a receiver's token). */
export function webhookOrigin(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return '(invalid URL)';
  }
}
