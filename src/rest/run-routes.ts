import type { Route } from '../http/route.js';
import { parseJobId } from '../services/ids.js';
import { toWireRun } from './lifecycle-routes.js';
import { mapObjectsError } from './object-routes.js';
import { queryCount } from './request.js';

/** A job's runs, newest first, paged like its objects (and answering errors the same way). */
export const runRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/jobs/:job_id/runs',
    mapError: mapObjectsError,
    async handler({ params, query, services }) {
      const jobId = parseJobId(params.job_id, 'job_id');
      const page = await services.runs.listByOffset(jobId, queryCount(query, 'limit'), queryCount(query, 'offset'));
      return {
        status: 200,
        body: { total_runs: page.totalCount, limit: page.limit, offset: page.offset, runs: page.nodes.map(toWireRun) },
      };
    },
  },
];
