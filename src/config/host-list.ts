/**
 * Whether a URL's host name is on an allow-list of host names and `*.example.com` suffixes
 * (WEBHOOK_ALLOWED_HOSTS, S3_ENDPOINT_ALLOWED_HOSTS; entries normalised as a URL writes its host).
 * A null list allows every host.
 */
export function isHostAllowed(hostname: string, allowedHosts: readonly string[] | null): boolean {
  if (!allowedHosts) return true;
  const host = hostname.toLowerCase();
  return allowedHosts.some((allowed) => (allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed));
}
