import type { Job } from '../db/entities/job.entity.js';
import type { SyncObject } from '../db/entities/sync-object.entity.js';
import { toWireConnectorConfig } from './connector-config-wire.js';

/** RFC 1123 in GMT, as Flask's jsonify wrote datetimes: `Tue, 24 Nov 2026 10:00:00 GMT`. */
export const httpDate = (date: Date): string => date.toUTCString();

/** The old service's Job shape; `next_run_at`, `timezone` and `webhooks` are additions. Credentials never appear. */
export function toWireJob(job: Job) {
  return {
    job_id: job.id,
    job_name: job.name,
    connector_type: job.connectorType,
    connector_config: toWireConnectorConfig(job),
    schedule: job.schedule,
    timezone: job.timezone,
    job_status: job.status,
    next_run_at: job.nextRunAt ? httpDate(job.nextRunAt) : null,
    webhooks: job.webhooks.map(({ url, events }) => ({ url, events })),
    created_at: httpDate(job.createdAt),
    updated_at: httpDate(job.updatedAt),
  };
}

/** The old service's object row: integer id, sizes as decimal strings, `""` until there is a local file. */
export function toWireObject(object: SyncObject) {
  return {
    id: object.id,
    job_id: object.jobId,
    object_key: object.key,
    object_size: String(object.size),
    last_position: String(object.lastPosition),
    status: object.status,
    local_full_path: object.localPath ?? '',
    created_at: httpDate(object.createdAt),
    updated_at: httpDate(object.updatedAt),
  };
}
