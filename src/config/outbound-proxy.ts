import { BlockList, isIP } from 'node:net';

/**
 * Outbound HTTP proxies as curl and Go read them: HTTPS_PROXY for https:// targets, HTTP_PROXY for
 * http:// ones (the lower-case spelling wins), NO_PROXY for the hosts reached directly. Loopback
 * targets (localhost, 127.0.0.0/8, ::1) are always reached directly, as Go does.
 */
export interface ProxySettings {
  /** Proxy of http:// targets, `http://[user:password@]host[:port]`. */
  http?: string;
  /** Proxy of https:// targets (reached through a CONNECT tunnel). */
  https?: string;
  /** NO_PROXY's entries, lower-cased: `*`, a host or domain (and its sub-domains), an IP address or CIDR block, each with an optional `:port`. */
  noProxy: string[];
}

/** Where a request is going. */
export interface ProxyTarget {
  secure: boolean;
  host: string;
  port: number;
}

/** The proxy a request goes through. */
export interface ProxyServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, without the credentials (what a library may print in its debug output). */
  readonly origin: string;
  /** `Basic …` from the URL's user and password; absent without them. */
  readonly authorization?: string;
}

/** Why a proxy URL cannot be used (for the config error); null when it can. */
export function proxyUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(withScheme(text));
  } catch {
    return 'must be an http:// URL, e.g. http://proxy.example.com:3128';
  }
  if (url.protocol !== 'http:') return `must be an http:// URL (${url.protocol}// proxies are not supported), e.g. http://proxy.example.com:3128`;
  if (!url.hostname) return 'must name a host, e.g. http://proxy.example.com:3128';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'must have no path, e.g. http://proxy.example.com:3128';
  try {
    decodeURIComponent(url.username + url.password);
  } catch {
    return 'has a malformed %-escape in its user or password (write a % as %25), e.g. http://user:p%40ss@proxy.example.com:3128';
  }
  return null;
}

/** Why a NO_PROXY entry cannot be used; null when all can. */
export function noProxyProblem(entries: string[]): string | null {
  const bad = entries.find((entry) => !parseNoProxyEntry(entry));
  return bad === undefined ? null : `${JSON.stringify(bad)} is not a host name, domain, IP address or CIDR block (each with an optional :port), e.g. .internal.example.com,10.0.0.0/8`;
}

export function splitNoProxy(text: string): string[] {
  return text.split(/[\s,]+/).map((entry) => entry.trim().toLowerCase()).filter(Boolean);
}

/** The proxy of a request to `target`, or null to connect directly. */
export function proxyFor(settings: ProxySettings | undefined, target: ProxyTarget): ProxyServer | null {
  const configured = target.secure ? settings?.https : settings?.http;
  if (!configured || isLoopback(target.host) || settings!.noProxy.some((entry) => bypasses(entry, target))) return null;
  return proxyServerOf(configured);
}

/** The proxy at `configured` (a URL the configuration accepted), parsed once. */
export function proxyServerOf(configured: string): ProxyServer {
  let server = servers.get(configured);
  if (!server) {
    const url = new URL(configured);
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const port = url.port ? Number(url.port) : 80;
    server = {
      host: bareHost(url.hostname),
      port,
      origin: `http://${url.hostname}:${port}`,
      authorization: user || password ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined,
    };
    servers.set(configured, server);
  }
  return server;
}

/** Each configured proxy URL, parsed once (a proxy is looked up for every request). */
const servers = new Map<string, ProxyServer>();

/** `proxy:3128` means `http://proxy:3128`, as curl and Go read it. */
export function withScheme(text: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
}

/** A bracketed IPv6 literal from a URL, as an address. */
function bareHost(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

function isLoopback(host: string): boolean {
  const bare = bareHost(host).toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && (bare === '::1' || bare.startsWith('::ffff:127.'));
}

interface NoProxyEntry {
  port?: number;
  /** A host and its sub-domains. */
  domain?: string;
  addresses?: BlockList;
  everything?: true;
}

const parsedEntries = new Map<string, NoProxyEntry | null>();

function parseNoProxyEntry(entry: string): NoProxyEntry | null {
  if (parsedEntries.has(entry)) return parsedEntries.get(entry)!;
  const parsed = parse(entry);
  parsedEntries.set(entry, parsed);
  return parsed;
}

function parse(entry: string): NoProxyEntry | null {
  if (entry === '*') return { everything: true };
  // host, host:port, [v6], [v6]:port, v6 (bare, no port), each address possibly a CIDR block.
  const match = /^\[([0-9a-f:.]+(?:\/\d{1,3})?)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  const [host, port] = match ? [match[1]!, match[2]] : [entry, undefined];
  const portNumber = port === undefined ? undefined : Number(port);
  if (portNumber !== undefined && (portNumber < 1 || portNumber > 65535)) return null;
  const [address, prefix] = host.split('/');
  const family = isIP(address!);
  if (family) {
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!Number.isInteger(bits) || bits > (family === 4 ? 32 : 128)) return null;
    const addresses = new BlockList();
    addresses.addSubnet(address!, bits, family === 4 ? 'ipv4' : 'ipv6');
    return { addresses, port: portNumber };
  }
  const domain = host.replace(/^\*?\./, '');
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(domain) ? { domain, port: portNumber } : null;
}

function bypasses(text: string, target: ProxyTarget): boolean {
  const entry = parseNoProxyEntry(text);
  if (!entry) return false;
  if (entry.everything) return true;
  if (entry.port !== undefined && entry.port !== target.port) return false;
  const host = bareHost(target.host).toLowerCase();
  if (entry.addresses) {
    const family = isIP(host);
    return family !== 0 && entry.addresses.check(host, family === 4 ? 'ipv4' : 'ipv6');
  }
  return host === entry.domain || host.endsWith(`.${entry.domain}`);
}
