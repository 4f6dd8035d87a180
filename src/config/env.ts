import { hostname } from 'node:os';
import { z } from 'zod';
import { isPostgresUrl, malformedEscapeIn, malformedEscapeProblem, postgresUrlProblem } from './db-url.js';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import { parseSecretsKey } from './secret-box.js';
import { parseOriginList } from './origins.js';
import { noProxyProblem, proxyUrlProblem, splitNoProxy, withScheme, type ProxySettings } from './outbound-proxy.js';

export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 5 * 1024 ** 3;
export const MAX_PAGE_SIZE = 1000;
/** Scheduled runs of one job never come closer than this by default (MIN_SCHEDULE_INTERVAL). */
export const DEFAULT_MIN_SCHEDULE_INTERVAL_MS = 60_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const FILE_SYNC_MODES = ['filesystem', 'file'] as const;
export type FileSyncMode = (typeof FILE_SYNC_MODES)[number];

function integer(example: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number, e.g. ${example}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}, e.g. ${example}`);
}

function decimal(example: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `must be a number, e.g. ${example}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}, e.g. ${example}`);
}

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false, e.g. true')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const chunkSize = z.string().transform((text, ctx) => {
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
function duration(example: string, minMs: number, maxMs: number, range: string) {
  return z.string().transform((text, ctx) => {
    const parsed = parseDuration(text);
    if ('error' in parsed || parsed.ms < minMs || parsed.ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be a duration between ${range}, e.g. ${example}` });
      return z.NEVER;
    }
    return parsed.ms;
  });
}

const dbUrl = z
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

const redisUrl = z
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

/** An http(s) URL as the SDK will read it: a port over 65535, no host or an unclosed [ would fail every request later. */
const url = z
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
 * URL's host reads (lower case, `127.1` → `127.0.0.1`, `[0:0::1]` → `[::1]`), so an entry matches
 * the URLs that name it.
 */
const hostList = z
  .string()
  .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
  .refine(
    (hosts) => hosts.length > 0 && hosts.every((h) => /^(\*\.)?[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(h) && urlHostOf(h) !== null),
    'must be a comma-separated list of host names, e.g. hooks.example.com,*.internal.example.com',
  )
  .transform((hosts) => hosts.map((h) => (h.startsWith('*.') ? h : urlHostOf(h)!)));

/** A host as `new URL` writes it, or null when no URL can have it. */
function urlHostOf(host: string): string | null {
  try {
    return new URL(`http://${host.startsWith('*.') ? host.slice(2) : host}/`).hostname;
  } catch {
    return null;
  }
}
const proxyUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const problem = proxyUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(withScheme);

const noProxyList = z.string().transform((text, ctx) => {
  const entries = splitNoProxy(text);
  const problem = noProxyProblem(entries);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return entries;
});

const secretsKey = z.string().transform((text, ctx) => {
  const key = parseSecretsKey(text);
  if (!key) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 random bytes as base64 or 64 hex digits, e.g. the output of `openssl rand -base64 32`' });
    return z.NEVER;
  }
  return key;
});

const originList = z.string().transform((text, ctx) => {
  const parsed = parseOriginList(text);
  if (parsed.ok) return parsed.origins;
  ctx.addIssue({ code: 'custom', message: parsed.error });
  return z.NEVER;
});

// Trimmed: clients trim the header, so a token with surrounding spaces (or only spaces) would lock
// everyone out. Printable ASCII only: anything else cannot travel in an HTTP header.
const apiToken = z
  .string()
  .trim()
  .min(16, { error: 'must be at least 16 characters, not counting surrounding spaces, e.g. the output of `openssl rand -hex 32`', abort: true })
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII (it travels in an HTTP header), e.g. the output of `openssl rand -hex 32`');

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

export const envSchema = z.object({
  PORT: integer('5000', 0, 65535).default(5000),
  HOST: z.string().trim().min(1, 'must not be empty, e.g. 0.0.0.0').default('0.0.0.0'),
  DB_URL: dbUrl.default('sqlite:./data/scheduler.db'),
  DOWNLOAD_ROOT_FOLDER: z.string().trim().min(1, 'must not be empty, e.g. ./downloads').default('./downloads'),
  S3_CHUNK_SIZE: chunkSize.default(10 * 1024 * 1024),
  RETRY_COUNT: integer('3', 0, 20).default(3),
  RETRY_DELAY: decimal('1', 0, 300).default(1),
  RETRY_BACKOFF: decimal('2', 1, 10).default(2),
  SYNC_CONCURRENCY: integer('8', 1, 256).default(8),
  SYNC_THREAD: optional(booleanFlag),
  LIST_CONCURRENCY: integer('8', 1, 32).default(8),
  FILE_SYNC: z.string().trim().toLowerCase().pipe(z.enum(FILE_SYNC_MODES, { message: 'must be filesystem or file, e.g. filesystem' })).default('filesystem'),
  DB_ROWS_RETRIEVAL_LIMIT: integer('100', 1, MAX_PAGE_SIZE).default(100),
  AWS_REGION: optional(z.string().trim().regex(/^[a-z0-9-]+$/, 'must be a region name, e.g. us-east-1')),
  AWS_ENDPOINT_URL_S3: optional(url),
  S3_ENDPOINT: optional(url),
  S3_FORCE_PATH_STYLE: optional(booleanFlag),
  S3_VERIFY_MULTIPART_ETAG: optional(booleanFlag),
  API_TOKEN: optional(apiToken),
  WEBHOOK_SECRET: optional(z.string().min(16, 'must be at least 16 characters, e.g. the output of `openssl rand -hex 32`')),
  WEBHOOK_ALLOWED_HOSTS: optional(hostList),
  S3_ENDPOINT_ALLOWED_HOSTS: optional(hostList),
  WEBHOOK_TIMEOUT: decimal('10', 0.01, 300).default(10),
  WEBHOOK_RETRY_BASE: decimal('30', 0.01, 3600).default(30),
  SECRETS_KEY: optional(secretsKey),
  REDIS_URL: optional(redisUrl),
  INSTANCE_ID: optional(
    z.string().trim().regex(/^[\w.:@-]{1,64}$/, 'must be 1–64 letters, digits or . _ : @ -, e.g. dss-a'),
  ),
  RUN_LEASE_TTL: duration('30s', 1000, 3_600_000, '1s and 1h').default(30_000),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}, e.g. info` })).default('info'),
  MIN_SCHEDULE_INTERVAL: duration('60s', 0, 86_400_000, '0s and 24h').default(DEFAULT_MIN_SCHEDULE_INTERVAL_MS),
  RUN_HISTORY_DAYS: integer('30', 0, 36500).default(30),
  RUN_HISTORY_MAX: integer('1000', 0, 10_000_000).default(1000),
  CORS_ORIGINS: originList.default([]),
  // Both spellings, as curl and Go read them; the lower-case one wins.
  HTTPS_PROXY: optional(proxyUrl),
  https_proxy: optional(proxyUrl),
  HTTP_PROXY: optional(proxyUrl),
  http_proxy: optional(proxyUrl),
  NO_PROXY: optional(noProxyList),
  no_proxy: optional(noProxyList),
});

type ParsedEnv = z.output<typeof envSchema>;

export interface Config {
  port: number;
  host: string;
  dbUrl: string;
  downloadRoot: string;
  chunkSize: number;
  retry: { count: number; delaySeconds: number; backoff: number };
  syncConcurrency: number;
  /** The service's runs execute on a thread of their own (false: on the thread serving the API). */
  syncThread: boolean;
  /** Key ranges of one prefix listed side by side in a run that knows the prefix's keys (1 = one listing). */
  listConcurrency: number;
  /** How small files are made durable before their rows are committed: one file system sync per batch, or fdatasync each. */
  fileSync: FileSyncMode;
  defaultPageSize: number;
  /** `verifyMultipartEtag`: absent means true (S3_VERIFY_MULTIPART_ETAG). */
  s3: {
    region?: string;
    endpoint?: string;
    forcePathStyle: boolean;
    verifyMultipartEtag?: boolean;
    requesterPays?: boolean;
    /** S3_ENDPOINT_ALLOWED_HOSTS: other servers a job's own endpoint may send the process's credentials to. */
    endpointAllowedHosts?: string[] | null;
  };
  apiToken?: string;
  webhooks: WebhookConfig;
  /** Key of the per-job credentials (AES-256-GCM); without it, jobs with credentials are refused. */
  secretsKey?: Buffer;
  logLevel: ParsedEnv['LOG_LEVEL'];
  /** Shortest gap allowed between two scheduled runs of one job (0 = no limit). */
  minScheduleIntervalMs: number;
  /** Run rows kept per job: newer than `maxAgeDays` and at most `maxPerJob` (0 = no limit). */
  runHistory: { maxAgeDays: number; maxPerJob: number };
  /** Origins (besides the service's own) whose pages may call the API; empty = same-origin only. */
  corsOrigins?: string[];
  /** Progress events shared by all instances when set. */
  redisUrl?: string;
  /** Names this instance in run rows, leases and logs. */
  instanceId: string;
  runLeaseTtlMs: number;
  /** Outbound proxies of S3 requests and webhook deliveries (HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
  proxy: ProxySettings;
}

/** A value as the error line shows it: quoted, escaped (a newline must not break the line), at most 200 characters. */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

export interface WebhookConfig {
  /** HMAC-SHA256 key of X-DSS-Signature; unset → deliveries are sent unsigned. */
  secret?: string;
  /** When set, webhook URLs must point at one of these hosts (`*.example.com` matches sub-domains). */
  allowedHosts: string[] | null;
  timeoutMs: number;
  /** First retry delay; attempt n waits base × 2^(n-1). */
  retryBaseMs: number;
}

/** Variables whose value is never echoed in a start-up error. */
const SECRET_VARIABLES = new Set(['API_TOKEN', 'WEBHOOK_SECRET', 'SECRETS_KEY']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A URL's password (DB_URL, REDIS_URL, HTTP(S)_PROXY) never reaches a log line. The value shown is
 * one the configuration refused, so no URL parser can be trusted to find the password: everything
 * from the first `:` after the scheme (or the start: a bare proxy `user:password@host`) to the last
 * `@` is hidden, whatever the password holds (`/`, `?`, `#`, `@`, spaces). Over-hiding is harmless.
 */
function withoutPassword(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const scheme = /^\s*[a-z][\w+.-]*:\/\//i.exec(value)?.[0].length ?? 0;
  const colon = value.indexOf(':', scheme);
  return colon >= 0 && colon < at ? `${value.slice(0, colon + 1)}***${value.slice(at)}` : value;
}

/** Validates the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      const shown = SECRET_VARIABLES.has(name) || value === undefined ? '' : ` (got ${quoteValue(withoutPassword(value))})`;
      // Messages may quote the value: control characters escaped, so each variable stays one line.
      const message = issue.message.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
      return `invalid ${name}${shown}: ${message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dbUrl: e.DB_URL,
    downloadRoot: e.DOWNLOAD_ROOT_FOLDER,
    chunkSize: e.S3_CHUNK_SIZE,
    retry: { count: e.RETRY_COUNT, delaySeconds: e.RETRY_DELAY, backoff: e.RETRY_BACKOFF },
    syncConcurrency: e.SYNC_CONCURRENCY,
    syncThread: e.SYNC_THREAD ?? true,
    listConcurrency: e.LIST_CONCURRENCY,
    fileSync: e.FILE_SYNC,
    defaultPageSize: e.DB_ROWS_RETRIEVAL_LIMIT,
    s3: {
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL_S3 ?? e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? false,
      verifyMultipartEtag: e.S3_VERIFY_MULTIPART_ETAG ?? true,
      endpointAllowedHosts: e.S3_ENDPOINT_ALLOWED_HOSTS ?? null,
    },
    apiToken: e.API_TOKEN,
    webhooks: {
      secret: e.WEBHOOK_SECRET,
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS ?? null,
      timeoutMs: Math.round(e.WEBHOOK_TIMEOUT * 1000),
      retryBaseMs: Math.round(e.WEBHOOK_RETRY_BASE * 1000),
    },
    secretsKey: e.SECRETS_KEY,
    logLevel: e.LOG_LEVEL,
    minScheduleIntervalMs: e.MIN_SCHEDULE_INTERVAL,
    runHistory: { maxAgeDays: e.RUN_HISTORY_DAYS, maxPerJob: e.RUN_HISTORY_MAX },
    corsOrigins: e.CORS_ORIGINS,
    redisUrl: e.REDIS_URL,
    instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    runLeaseTtlMs: e.RUN_LEASE_TTL,
    proxy: {
      https: e.https_proxy ?? e.HTTPS_PROXY,
      http: e.http_proxy ?? e.HTTP_PROXY,
      noProxy: e.no_proxy ?? e.NO_PROXY ?? [],
    },
  };
}
