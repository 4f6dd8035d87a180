import { hostname } from 'node:os';
import { z } from 'zod';
import type { ProxySettings } from './outbound-proxy.js';
import { apiToken, booleanFlag, chunkSize, dbUrl, decimal, duration, hostList, integer, noProxyList, optional, originList, proxyUrl, redisUrl, regionName, secretsKey, url } from './env-values.js';

export const MAX_PAGE_SIZE = 1000;
/** Scheduled runs of one job never come closer than this by default (MIN_SCHEDULE_INTERVAL). */
export const DEFAULT_MIN_SCHEDULE_INTERVAL_MS = 60_000;
/** How long a write waits for an unreachable database by default before its error is let through (DB_OUTAGE_WAIT). */
export const DEFAULT_DATABASE_OUTAGE_WAIT_MS = 10 * 60_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const FILE_SYNC_MODES = ['filesystem', 'file'] as const;
export type FileSyncMode = (typeof FILE_SYNC_MODES)[number];

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
  AWS_REGION: optional(regionName),
  // Read by the SDK's region chain (sync/transport/signing-region.ts), not by the config: checked here so a bad one stops the start too.
  AWS_DEFAULT_REGION: optional(regionName),
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
  SHUTDOWN_TIMEOUT: duration('20s', 1000, 600_000, '1s and 10m').default(20_000),
  DB_OUTAGE_WAIT: duration('10m', 1000, 86_400_000, '1s and 24h').default(DEFAULT_DATABASE_OUTAGE_WAIT_MS),
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
  /** A stop (SIGTERM, SIGINT) not finished by then ends the process anyway, with code 1. */
  shutdownTimeoutMs: number;
  /**
   * How long a running sync's reads and writes, the engine thread's opening of its database and the
   * scheduler's records of a run wait for an unreachable database before giving up (the run is then handed back).
   */
  databaseOutageWaitMs: number;
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
export function withoutPassword(value: string): string {
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
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT,
    databaseOutageWaitMs: e.DB_OUTAGE_WAIT,
    proxy: {
      https: e.https_proxy ?? e.HTTPS_PROXY,
      http: e.http_proxy ?? e.HTTP_PROXY,
      noProxy: e.no_proxy ?? e.NO_PROXY ?? [],
    },
  };
}
