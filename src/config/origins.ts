/**
 * CORS_ORIGINS: a comma-separated allow-list of web origins (`scheme://host[:port]`) whose pages may
 * call the API besides the service's own. Each entry is normalised to its origin (`URL.origin`:
 * lower-case host, default port dropped), so it compares equal to a browser's `Origin` header.
 */
export type ParsedOrigins = { ok: true; origins: string[] } | { ok: false; error: string };

const EXAMPLE = 'e.g. https://dashboard.example.com,http://localhost:3000';

export function parseOriginList(text: string): ParsedOrigins {
  const origins: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parsed = parseOrigin(entry);
    if ('error' in parsed) return { ok: false, error: `"${entry}" ${parsed.error}, ${EXAMPLE}` };
    if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
  }
  return { ok: true, origins };
}

function parseOrigin(entry: string): { origin: string } | { error: string } {
  if (entry === '*') return { error: 'is not allowed: list each origin (any origin could then drive the API)' };
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return { error: 'is not an origin (scheme://host[:port])' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'must start with http:// or https://' };
  if (url.username || url.password) return { error: 'must not hold credentials' };
  const rest = entry.slice(entry.indexOf('//') + 2).replace(/^[^/?#]*/, '');
  if (rest !== '' && rest !== '/') return { error: 'must be an origin only, without a path, query or fragment' };
  return { origin: url.origin };
}
