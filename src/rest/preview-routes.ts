import type { Route } from '../http/route.js';
import { parseJobId } from '../services/ids.js';
import type { PreviewBucket } from '../sync/sync-preview.js';
import { httpDate } from './wire.js';

const wireBucket = (bucket: PreviewBucket) => ({ objects: bucket.objects, bytes: String(bucket.bytes), keys: bucket.keys });

/** Previews in the old service's style: query-string job_id, `{ "message": … }` errors. */
export const previewRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/scheduler/upcoming_runs',
    async handler({ query, services }) {
      const jobId = query.get('job_id');
      // Anything but digits reaches the service as NaN, so every bad count gets its one message.
      const rawCount = query.get('count');
      const count = rawCount === null ? undefined : /^\d{1,15}$/.test(rawCount) ? Number(rawCount) : Number.NaN;
      const times = await services.previews.upcomingRuns(jobId ?? undefined, count, 'job_id', 'count');
      // The job's id as every other route answers it (trimmed and lower-case); the service has accepted it.
      return { status: 200, body: { job_id: parseJobId(jobId, 'job_id'), upcoming_runs: times.map(httpDate) } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/scheduler/preview_sync',
    async handler({ query, services, signal }) {
      const jobId = query.get('job_id');
      const preview = await services.previews.previewSync(jobId ?? undefined, 'job_id', signal);
      return {
        status: 200,
        body: {
          job_id: parseJobId(jobId, 'job_id'),
          listed_objects: preview.listedObjects,
          fetch: wireBucket(preview.fetch),
          skip: wireBucket(preview.skip),
          exclude: wireBucket(preview.exclude),
          delete: wireBucket(preview.delete),
          refuse: wireBucket(preview.refuse),
          deletes_blocked: preview.deletesBlocked,
        },
      };
    },
  },
];
