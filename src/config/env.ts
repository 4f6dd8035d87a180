import { z } from 'zod';
import { parseByteSize } from './byte-size.js';
import { parseOriginList } from './origins.js';

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
  .refine(
    (v) => /^sqlite:.+/.test(v) || /^postgres(ql)?:\/\/.+/.test(v),
    'must be sqlite:<path> or postgresql://…, e.g. sqlite:./data/scheduler.db',
  );

const url = z
  .string()
  .trim()
  .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/i, 'must be an http(s) URL, e.g. http://127.0.0.1:9000');

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
  DB_ROWS_RETRIEVAL_LIMIT: integer('100', 1, MAX_PAGE_SIZE).default(100),
  AWS_REGION: optional(z.string().trim().regex(/^[a-z0-9-]+$/, 'must be a region name, e.g. us-east-1')),
  AWS_ENDPOINT_URL_S3: optional(url),
  S3_ENDPOINT: optional(url),
  S3_FORCE_PATH_STYLE: optional(booleanFlag),
  API_TOKEN: optional(apiToken),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}, e.g. info` }).default('info'),
  CORS_ORIGINS: originList.default([]),
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
  /** Origins (besides the service's own) whose pages may call the API; empty = same-origin only. */
  corsOrigins?: string[];
}

/** A value as the error line shows it: quoted, escaped (a newline must not break the line), at most 200 characters. */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      const shown = name === 'API_TOKEN' || value === undefined ? '' : ` (got ${quoteValue(value)})`;
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
    defaultPageSize: e.DB_ROWS_RETRIEVAL_LIMIT,
    s3: {
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL_S3 ?? e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? false,
    },
    apiToken: e.API_TOKEN,
    logLevel: e.LOG_LEVEL,
    corsOrigins: e.CORS_ORIGINS,
  };
}
