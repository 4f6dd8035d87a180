import type { Route } from '../http/route.js';
import { InputError } from '../services/errors.js';
import { parseJobId } from '../services/ids.js';
import { mapRestErrorAsError } from './errors.js';
import { queryCount } from './request.js';
import { toWireObject } from './wire.js';

/** This route answered errors as `{ "error": … }` with its own messages in the old service; the runs route does the same. */
export function mapObjectsError(error: unknown) {
  if (error instanceof InputError && error.field === 'job_id') {
    return { status: 400, body: { error: 'job_id must be a valid UUID string' } };
  }
  if (error instanceof InputError && error.field === 'key_prefix') return { status: 400, body: { error: error.message } };
  if (error instanceof InputError && (error.field === 'limit' || error.field === 'offset')) {
    return { status: 400, body: { error: 'Invalid limit or offset' } };
  }
  return mapRestErrorAsError(error);
}

export const objectRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/jobs/:job_id/objects',
    mapError: mapObjectsError,
    async handler({ params, query, services }) {
      const jobId = parseJobId(params.job_id, 'job_id');
      const filter = { keyPrefix: query.get('key_prefix') };
      const page = await services.objects.listByOffset(jobId, queryCount(query, 'limit'), queryCount(query, 'offset'), filter);
      return {
        status: 200,
        body: { total_objects: page.totalCount, limit: page.limit, offset: page.offset, objects: page.nodes.map(toWireObject) },
      };
    },
  },
];
