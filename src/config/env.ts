import { hostname } from 'node:os';
import { z } from 'zod';
import { isPostgresUrl, postgresUrlProblem } from './db-url.js';
import { parseByteSize } from './byte-size.js';
import { parseDurationMs } from './duration.js';

export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 5 * 1024 ** 3;
export const MAX_PAGE_SIZE = 1000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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
  .refine((v) => {
    if (!/^rediss?:\/\//i.test(v)) return false;
    try {
      return new URL(v).hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379');

const leaseTtl = z.string().transform((text, ctx) => {
  const ms = parseDurationMs(text);
  if (ms === null || ms < 1000 || ms > 3_600_000) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration from 1s to 1h, e.g. 30s' });
    return z.NEVER;
  }
  return ms;
});

const url = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/i, 'must be an http(s) URL, e.g. http://127.0.0.1:9000');

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
  DB_ROWS_RETRIEVAL_LIMIT: integer('100', 1, MAX_PAGE_SIZE).default(100),
  AWS_REGION: optional(z.string().trim().regex(/^[a-z0-9-]+$/, 'must be a region name, e.g. us-east-1')),
  AWS_ENDPOINT_URL_S3: optional(url),
  S3_ENDPOINT: optional(url),
  S3_FORCE_PATH_STYLE: optional(booleanFlag),
  API_TOKEN: optional(z.string().min(16, 'must be at least 16 characters, e.g. the output of `openssl rand -hex 32`')),
  REDIS_URL: optional(redisUrl),
  INSTANCE_ID: optional(
    z.string().trim().regex(/^[\w.:@-]{1,64}$/, 'must be 1–64 letters, digits or . _ : @ -, e.g. dss-a'),
  ),
  RUN_LEASE_TTL: leaseTtl.default(30_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}, e.g. info` }).default('info'),
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
  defaultPageSize: number;
  s3: { region?: string; endpoint?: string; forcePathStyle: boolean };
  apiToken?: string;
  logLevel: ParsedEnv['LOG_LEVEL'];
  /** Progress events shared by all instances when set. */
  redisUrl?: string;
  /** Names this instance in run rows, leases and logs. */
  instanceId: string;
  runLeaseTtlMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A URL's password (DB_URL, REDIS_URL) never reaches a log line. */
function withoutPassword(value: string): string {
  return value.replace(/^([a-z][\w+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, '$1***@');
}

/** Validates the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      const shown = name === 'API_TOKEN' || value === undefined ? '' : ` (got "${withoutPassword(value)}")`;
      return `invalid ${name}${shown}: ${issue.message}`;
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
    defaultPageSize: e.DB_ROWS_RETRIEVAL_LIMIT,
    s3: {
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL_S3 ?? e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? false,
    },
    apiToken: e.API_TOKEN,
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    instanceId: e.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    runLeaseTtlMs: e.RUN_LEASE_TTL,
  };
}
