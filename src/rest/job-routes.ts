import type { Route } from '../http/route.js';
import { InputError } from '../services/errors.js';
import { connectorConfig, queryCount, requireKeys } from './request.js';
import { settingsFromWire } from './connector-config-wire.js';
import { toWireJob } from './wire.js';

/** Paging errors in this route's `{"message"}` style, with the objects route's wording. */
function mapListError(error: unknown) {
  if (error instanceof InputError && (error.field === 'limit' || error.field === 'offset')) {
    return { status: 400, body: { message: 'Invalid limit or offset' } };
  }
  return undefined;
}

/** The old Flask service's scheduler routes, wire-compatible. */
export const jobRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/scheduler/create_job',
    async handler({ readJsonObject, services }) {
      const body = await readJsonObject();
      requireKeys(body, ['job_name', 'connector_type', 'schedule', 'connector_config']);
      const config = connectorConfig(body.connector_config);
      const job = await services.jobs.create({
        name: body.job_name,
        connectorType: body.connector_type,
        schedule: body.schedule,
        timezone: body.timezone,
        paused: body.paused,
        webhooks: body.webhooks,
        connectorConfig: { bucketName: config.bucket_name, prefix: config.prefix, ...settingsFromWire(config) },
      });
      return { status: 200, body: { job_id: job.id, message: 'Job scheduled successfully' } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/scheduler/list_jobs',
    mapError: mapListError,
    async handler({ query, services }) {
      const jobId = query.get('job_id');
      if (jobId !== null) return { status: 200, body: { job: toWireJob(await services.jobs.require(jobId, 'job_id')) } };
      // Without limit/offset: every job in the old service's shape; with either: one page, framed like objects.
      if (!query.has('limit') && !query.has('offset')) return { status: 200, body: { jobs: (await services.jobs.listAll()).map(toWireJob) } };
      const page = await services.jobs.listByOffset(queryCount(query, 'limit'), queryCount(query, 'offset'));
      return { status: 200, body: { total_jobs: page.totalCount, limit: page.limit, offset: page.offset, jobs: page.nodes.map(toWireJob) } };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/scheduler/delete_job',
    async handler({ readJsonObject, services }) {
      const body = await readJsonObject();
      requireKeys(body, ['job_id']);
      await services.jobs.delete(body.job_id, 'job_id', { purgeFiles: body.purge_files, purgeField: 'purge_files' });
      return { status: 200, body: { message: 'Job deleted successfully' } };
    },
  },
];
