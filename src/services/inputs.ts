import { z } from 'zod';
import { CONNECTOR_TYPES } from '../db/entities/statuses.js';
import { hasControlOrUnstorableText, hasUnstorableText } from '../db/storable-text.js';
import { INVALID_SCHEDULE_MESSAGE, parseSchedule } from '../scheduler/schedule.js';
import { InputError } from './errors.js';
import { sourceSettingsInput } from './source-inputs.js';

export const JOB_NAME_MESSAGE = 'Invalid job name, must be between 3 and 25 characters';
export const CONNECTOR_TYPE_MESSAGE = `Invalid connector type, supported one: [${CONNECTOR_TYPES.map((t) => `'${t}'`).join(', ')}]`;
export const CONNECTOR_CONFIG_MESSAGE = 'Invalid connector config, must be a non-empty dictionary';
export const BUCKET_NAME_MESSAGE =
  'Invalid bucket name, must be 3 to 63 characters of lowercase letters, digits, dots and hyphens';
export const PREFIX_MESSAGE = 'Invalid prefix, must be a string of at most 1024 bytes';

export const JOB_NAME_CONTROL_MESSAGE = 'Invalid job name, must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates';
export const PREFIX_TEXT_MESSAGE = 'Invalid prefix, must not contain a NUL character or an unpaired surrogate';

const jobName = z
  .string({ message: JOB_NAME_MESSAGE })
  .trim()
  .min(3, JOB_NAME_MESSAGE)
  .max(25, JOB_NAME_MESSAGE)
  .refine((name) => !hasControlOrUnstorableText(name), JOB_NAME_CONTROL_MESSAGE);

const connectorType = z
  .string({ message: CONNECTOR_TYPE_MESSAGE })
  .trim()
  .toUpperCase()
  .pipe(z.enum(CONNECTOR_TYPES, { message: CONNECTOR_TYPE_MESSAGE }));

// The schedule's own syntax is checked here, in field order (README: values are validated in the
// order job_name, connector_type, schedule, connector_config); checkSchedule then reads it in its timezone.
const scheduleText = z
  .string({ message: INVALID_SCHEDULE_MESSAGE })
  .trim()
  .min(1, INVALID_SCHEDULE_MESSAGE)
  .max(128, INVALID_SCHEDULE_MESSAGE)
  .refine((text) => parseSchedule(text).ok, INVALID_SCHEDULE_MESSAGE);

const timezone = z.string({ message: 'Invalid timezone, must be an IANA name such as Europe/Paris' }).trim().max(64).nullish();

const bucketName = z
  .string({ message: BUCKET_NAME_MESSAGE })
  .trim()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, BUCKET_NAME_MESSAGE);

const prefix = z
  .string({ message: PREFIX_MESSAGE })
  .refine((p) => Buffer.byteLength(p) <= 1024, PREFIX_MESSAGE)
  .refine((p) => !hasUnstorableText(p), PREFIX_TEXT_MESSAGE);

/**
 * In connectorConfig of an update, null resets a field to its default; the prefix's default ("") is
 * the whole bucket, too much to take from a null: it is refused, and "" says so.
 */
const updatedPrefix = prefix
  .nullish()
  .refine((p) => p !== null, 'Invalid prefix, must not be null: send "" to sync the whole bucket, or leave it out to keep the prefix');

export const connectorConfigInput = z.object(
  { bucketName, prefix: prefix.nullish().transform((p) => p ?? ''), ...sourceSettingsInput.shape },
  { message: CONNECTOR_CONFIG_MESSAGE },
);

export const createJobInput = z.object({
  name: jobName,
  connectorType,
  schedule: scheduleText,
  timezone,
  connectorConfig: connectorConfigInput,
  paused: z.boolean({ message: 'paused must be true or false' }).nullish(),
});
export type CreateJobInput = z.output<typeof createJobInput>;

export const updateJobInput = z.object({
  name: jobName.nullish(),
  schedule: scheduleText.nullish(),
  timezone,
  prefix: prefix.nullish(),
  /** The prefix and the per-job settings of contract §6; omitted fields keep their values. */
  connectorConfig: sourceSettingsInput.extend({ prefix: updatedPrefix }).nullish(),
});
export type UpdateJobInput = z.output<typeof updateJobInput>;

/** Parses `raw` with `schema`; the first problem becomes an InputError naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'input';
  throw new InputError(field, issue?.message ?? `Invalid ${field}`);
}

/** Checks the schedule and timezone together (a cron expression is read in its timezone). */
export function checkSchedule(schedule: string, zone: string | null | undefined): void {
  const parsed = parseSchedule(schedule, zone);
  if (!parsed.ok) throw new InputError(parsed.field, parsed.message);
}
