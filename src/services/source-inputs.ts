import { compileGlob, GlobSyntaxError } from '../sync/run/glob.js';
import { z } from 'zod';
import { parseByteSize } from '../config/byte-size.js';
import { hasControlOrUnstorableText, hasUnstorableText } from '../db/storable-text.js';

/** The optional per-job settings of contract §6, as both APIs accept them (GraphQL names; REST maps its names). */
export const MAX_PATTERNS = 100;
export const MAX_PATTERN_LENGTH = 1024;
export const MIN_BANDWIDTH_LIMIT = 1024;

const named = (graphql: string, rest: string) => (graphql === rest ? graphql : `${graphql} (${rest})`);

export const REGION_MESSAGE = `Invalid region, must be a region name such as eu-west-1`;
export const ENDPOINT_MESSAGE = `Invalid ${named('endpoint', 'endpoint_url')}, must be an http:// or https:// URL such as https://s3.eu-west-1.amazonaws.com`;
export const FORCE_PATH_STYLE_MESSAGE = `Invalid ${named('forcePathStyle', 'force_path_style')}, must be true or false`;
export const REQUESTER_PAYS_MESSAGE = `Invalid ${named('requesterPays', 'requester_pays')}, must be true or false`;
export const ACCESS_KEY_ID_MESSAGE = `Invalid ${named('credentials.accessKeyId', 'aws_access_key_id')}, must be 3 to 128 printable characters without spaces`;
export const SECRET_ACCESS_KEY_MESSAGE = `Invalid ${named('credentials.secretAccessKey', 'aws_secret_access_key')}, must be a string of 1 to 512 characters`;
export const SESSION_TOKEN_MESSAGE = `Invalid ${named('credentials.sessionToken', 'aws_session_token')}, must be a string of at most 8192 characters`;
export const SSE_CUSTOMER_KEY_MESSAGE = `Invalid ${named('sseCustomerKey', 'sse_customer_key')}, must be a 256-bit AES key as base64 (32 bytes), e.g. the output of \`openssl rand -base64 32\``;
export const MIRROR_DELETES_MESSAGE = `Invalid ${named('mirrorDeletes', 'mirror_deletes')}, must be true or false`;
export const MAX_DELETE_PERCENT_MESSAGE = `Invalid ${named('maxDeletePercent', 'max_delete_percent')}, must be a whole number from 0 to 100`;
export const BANDWIDTH_LIMIT_MESSAGE = `Invalid ${named('bandwidthLimit', 'bandwidth_limit')}, must be at least ${MIN_BANDWIDTH_LIMIT} bytes per second, as an integer or with a unit such as 20MiB`;
export const maxConcurrencyMessage = (max?: number) =>
  `Invalid ${named('maxConcurrency', 'max_concurrency')}, must be a whole number from 1 to SYNC_CONCURRENCY${max === undefined ? '' : ` (${max})`}`;
const patternsMessage = (field: string) =>
  `Invalid ${field}, must be a list of at most ${MAX_PATTERNS} glob patterns, each a string of 1 to ${MAX_PATTERN_LENGTH} characters`;

const NO_CONTROL_CHARACTERS = 'must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates';
const patternTextMessage = (field: string) => `Invalid ${field}, a pattern must not contain a NUL character or an unpaired surrogate`;
export const ENDPOINT_TEXT_MESSAGE = `Invalid ${named('endpoint', 'endpoint_url')}, ${NO_CONTROL_CHARACTERS}`;
export const SECRET_ACCESS_KEY_TEXT_MESSAGE = `Invalid ${named('credentials.secretAccessKey', 'aws_secret_access_key')}, ${NO_CONTROL_CHARACTERS}`;
export const SESSION_TOKEN_TEXT_MESSAGE = `Invalid ${named('credentials.sessionToken', 'aws_session_token')}, ${NO_CONTROL_CHARACTERS}`;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/** Why a pattern is not one the filters take, or null. */
function globError(pattern: string): string | null {
  try {
    compileGlob(pattern);
    return null;
  } catch (error) {
    return error instanceof GlobSyntaxError ? error.message : 'not a glob pattern';
  }
}

const patterns = (field: string) =>
  z
    .array(
      z
        .string({ message: patternsMessage(field) })
        .min(1, patternsMessage(field))
        .max(MAX_PATTERN_LENGTH, patternsMessage(field))
        .refine((pattern) => !hasUnstorableText(pattern), patternTextMessage(field))
        .superRefine((pattern, ctx) => {
          const error = globError(pattern);
          if (error) ctx.addIssue({ code: 'custom', message: `Invalid ${field}, not a glob pattern the filters take: ${error}` });
        }),
      { message: patternsMessage(field) },
    )
    .max(MAX_PATTERNS, patternsMessage(field));

const bandwidthLimit = z.union([z.number(), z.string()], { message: BANDWIDTH_LIMIT_MESSAGE }).transform((raw, ctx) => {
  const parsed = typeof raw === 'number' ? { bytes: raw } : parseByteSize(raw);
  if ('error' in parsed || !Number.isSafeInteger(parsed.bytes) || parsed.bytes < MIN_BANDWIDTH_LIMIT) {
    ctx.addIssue({ code: 'custom', message: BANDWIDTH_LIMIT_MESSAGE });
    return z.NEVER;
  }
  return parsed.bytes;
});

export const credentialsInput = z.object(
  {
    accessKeyId: z.string({ message: ACCESS_KEY_ID_MESSAGE }).trim().regex(/^[\x21-\x7e]{3,128}$/, ACCESS_KEY_ID_MESSAGE),
    // Sealed, so stored whatever they hold; refused all the same: the secret is read as UTF-8 to sign
    // requests, the token travels in a header (X-Amz-Security-Token), and real ones are printable ASCII.
    secretAccessKey: z
      .string({ message: SECRET_ACCESS_KEY_MESSAGE })
      .min(1, SECRET_ACCESS_KEY_MESSAGE)
      .max(512, SECRET_ACCESS_KEY_MESSAGE)
      .refine((text) => !hasControlOrUnstorableText(text), SECRET_ACCESS_KEY_TEXT_MESSAGE),
    sessionToken: z
      .string({ message: SESSION_TOKEN_MESSAGE })
      .max(8192, SESSION_TOKEN_MESSAGE)
      .refine((text) => !hasControlOrUnstorableText(text), SESSION_TOKEN_TEXT_MESSAGE)
      .nullish(),
  },
  { message: `Invalid ${named('credentials', 'aws_access_key_id')}, must hold an access key id and a secret access key` },
);
export type CredentialsInput = z.output<typeof credentialsInput>;

/** An SSE-C key: base64 of exactly 32 bytes, kept as given (S3 takes it as base64). */
const sseCustomerKey = z
  .string({ message: SSE_CUSTOMER_KEY_MESSAGE })
  .trim()
  .refine((text) => /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === 32, SSE_CUSTOMER_KEY_MESSAGE);

/**
 * Every field optional; on update an explicit null resets the field to its default (null
 * `credentials` removes them), an absent one keeps it.
 */
export const sourceSettingsInput = z.object({
  region: z.string({ message: REGION_MESSAGE }).trim().regex(/^[a-z0-9-]{2,64}$/, REGION_MESSAGE).nullish(),
  // Checked before it is read as a URL: the URL parser percent-encodes a NUL in the path, but the text is stored as given.
  endpoint: z
    .string({ message: ENDPOINT_MESSAGE })
    .trim()
    .max(2048, ENDPOINT_MESSAGE)
    .refine((text) => !hasControlOrUnstorableText(text), { message: ENDPOINT_TEXT_MESSAGE, abort: true })
    .refine(isHttpUrl, ENDPOINT_MESSAGE)
    .nullish(),
  forcePathStyle: z.boolean({ message: FORCE_PATH_STYLE_MESSAGE }).nullish(),
  requesterPays: z.boolean({ message: REQUESTER_PAYS_MESSAGE }).nullish(),
  credentials: credentialsInput.nullish(),
  sseCustomerKey: sseCustomerKey.nullish(),
  include: patterns('include').nullish(),
  exclude: patterns('exclude').nullish(),
  mirrorDeletes: z.boolean({ message: MIRROR_DELETES_MESSAGE }).nullish(),
  // A whole number: the column is an integer (PostgreSQL would round 50.5 to 51, SQLite keep 50.5).
  maxDeletePercent: z
    .number({ message: MAX_DELETE_PERCENT_MESSAGE })
    .int(MAX_DELETE_PERCENT_MESSAGE)
    .min(0, MAX_DELETE_PERCENT_MESSAGE)
    .max(100, MAX_DELETE_PERCENT_MESSAGE)
    .nullish(),
  // A number here; whole and from 1 to SYNC_CONCURRENCY checked by the service, which knows the bound.
  maxConcurrency: z.number({ message: maxConcurrencyMessage() }).nullish(),
  bandwidthLimit: bandwidthLimit.nullish(),
});
export type SourceSettingsInput = z.output<typeof sourceSettingsInput>;
