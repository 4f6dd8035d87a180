/**
 * The zod schemas of single environment values (numbers, flags, sizes, durations, URLs, host and
 * origin lists, secrets), each failing with a message that says what is wrong and gives an example;
 * `env.ts` puts them together into the service's configuration.
 */
import { z } from 'zod';
import { isPostgresUrl, malformedEscapeIn, malformedEscapeProblem, postgresUrlProblem } from './db-url.js';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import { parseSecretsKey } from './secret-box.js';
import { parseOriginList } from './origins.js';
import { noProxyProblem, proxyUrlProblem, splitNoProxy, withScheme } from './outbound-proxy.js';

const MIN_CHUNK_SIZE = 64 * 1024;
const MAX_CHUNK_SIZE = 5 * 1024 ** 3;

export function integer(example: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, `must be a whole number, e.g. ${example}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}, e.g. ${example}`);
}

export function decimal(example: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `must be a number, e.g. ${example}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}, e.g. ${example}`);
}

export const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false, e.g. true')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const chunkSize = z.string().transform((text, ctx) => {
  const parsed = parseByteSize(text);
  const example = 'e.g. 10485760, 8MiB or 10 * 1024 * 1024';
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: `${parsed.error}; ${example}` });
    return z.NEVER;
  }
  if (parsed.bytes < MIN_CHUNK_SIZE || parsed.bytes > MAX_CHUNK_SIZE) {
    ctx.addIssue({ code: 'custom', message: `must be between 64KiB and 5GiB, ${example}` });
    return z.NEVER;
  }
  return parsed.bytes;
});

/** A duration from `min` to `max` ms, written `60s`, `5m`, `1h` or as whole seconds. */
export function duration(example: string, minMs: number, maxMs: number, range: string) {
  return z.string().transform((text, ctx) => {
    const parsed = parseDuration(text);
    if ('error' in parsed || parsed.ms < minMs || parsed.ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be a duration between ${range}, e.g. ${example}` });
      return z.NEVER;
    }
    return parsed.ms;
  });
}

export const dbUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const example = 'e.g. sqlite:./data/scheduler.db or postgresql://dss:secret@db:5432/dss';
    if (isPostgresUrl(v)) {
      const problem = postgresUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `the postgresql URL ${problem}, ${example}` });
    } else if (!/^sqlite:.+/.test(v)) {
      ctx.addIssue({ code: 'custom', message: `must be sqlite:<path> or postgresql://…, ${example}` });
    }
  });

export const redisUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    let url: URL | null;
    try {
      url = /^rediss?:\/\//i.test(v) ? new URL(v) : null;
    } catch {
      url = null;
    }
    if (!url?.hostname) {
      ctx.addIssue({ code: 'custom', message: 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379' });
      return;
    }
    // ioredis decodes the user and password with decodeURIComponent ("URI malformed" otherwise).
    const malformed = malformedEscapeIn([
      ['user', url.username],
      ['password', url.password],
    ]);
    if (malformed) ctx.addIssue({ code: 'custom', message: `${malformedEscapeProblem(malformed)}, e.g. redis://:p%40ss@127.0.0.1:6379` });
  });

/** An AWS region name (AWS_REGION, AWS_DEFAULT_REGION). */
export const regionName = z.string().trim().regex(/^[a-z0-9-]+$/, 'must be a region name, e.g. us-east-1');

/** An http(s) URL as the SDK will read it: a port over 65535, no host or an unclosed [ would fail every request later. */
export const url = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = !/^https?:\/\/[^\s/]+(\/\S*)?$/i.test(value)
      ? 'must be an http(s) URL'
      : !URL.canParse(value) || new URL(value).hostname === ''
        ? 'must be an http(s) URL with a valid host and port'
        : null;
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}, e.g. http://127.0.0.1:9000` });
  });

/**
 * Host names (or `*.example.com` suffixes) webhooks or jobs' endpoints may target: comma-separated, each written as a
 * URL's host reads (lower case, `127.1` → `127.0.0.1`, `[0:0::1]` → `[::1]`, `bücher.example` →
 * `xn--bcher-kva.example`), so an entry matches the URLs that name it: any host a URL can name
 * (a Compose service's `relay_svc` too), never a port, a path or credentials.
 */
export const hostList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
  .refine(
    (hosts) => hosts.length > 0 && hosts.every((h) => hostEntryOf(h) !== null),
    'must be a comma-separated list of host names, e.g. hooks.example.com,*.internal.example.com',
  )
  .transform((hosts) => hosts.map((h) => hostEntryOf(h)!));

/** An allow-list entry as URLs write it (a `*.` suffix too), or null when it is not a host alone. */
function hostEntryOf(entry: string): string | null {
  if (!entry.startsWith('*.')) return urlHostOf(entry);
  const suffix = urlHostOf(entry.slice(2));
  return suffix === null ? null : `*.${suffix}`;
}

/**
 * A host as `new URL` writes it, or null when no URL can have it or the text holds more than a host:
 * a port (read from the text: the parser drops a scheme's default one), a path, credentials, a `*`.
 */
function urlHostOf(host: string): string | null {
  const outsideBrackets = host.replace(/^\[[^\]]*\]/, '');
  if (/[:/@?#*\\]/.test(outsideBrackets)) return null;
  try {
    const { hostname } = new URL(`http://${host}/`);
    return hostname === '' ? null : hostname;
  } catch {
    return null;
  }
}
export const proxyUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const problem = proxyUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(withScheme);

export const noProxyList = z.string().transform((text, ctx) => {
  const entries = splitNoProxy(text);
  const problem = noProxyProblem(entries);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return entries;
});

export const secretsKey = z.string().transform((text, ctx) => {
  const key = parseSecretsKey(text);
  if (!key) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 random bytes as base64 or 64 hex digits, e.g. the output of `openssl rand -base64 32`' });
    return z.NEVER;
  }
  return key;
});

export const originList = z.string().transform((text, ctx) => {
  const parsed = parseOriginList(text);
  if (parsed.ok) return parsed.origins;
  ctx.addIssue({ code: 'custom', message: parsed.error });
  return z.NEVER;
});

// Trimmed: clients trim the header, so a token with surrounding spaces (or only spaces) would lock
// everyone out. Printable ASCII only: anything else cannot travel in an HTTP header.
export const apiToken = z
  .string()
  .trim()
  .min(16, { error: 'must be at least 16 characters, not counting surrounding spaces, e.g. the output of `openssl rand -hex 32`', abort: true })
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII (it travels in an HTTP header), e.g. the output of `openssl rand -hex 32`');

export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
