import type { Route } from '../http/route.js';
import { InputError } from '../services/errors.js';
import { parseJobId } from '../services/ids.js';
import type { OffsetPage } from '../services/object-service.js';
import type { Services } from '../services/services.js';
import { mapRestErrorAsError } from './errors.js';
import { queryCount } from './request.js';

/** The objects route answered errors as `{ "error": … }` with its own messages in the old service; the job's other lists do the same. */
function mapListError(error: unknown) {
  if (error instanceof InputError && error.field === 'job_id') {
    return { status: 400, body: { error: 'job_id must be a valid UUID string' } };
  }
  if (error instanceof InputError && error.field === 'key_prefix') return { status: 400, body: { error: error.message } };
  if (error instanceof InputError && (error.field === 'limit' || error.field === 'offset')) {
    return { status: 400, body: { error: 'Invalid limit or offset' } };
  }
  return mapRestErrorAsError(error);
}

/**
 * `GET /api/v1/jobs/:job_id/<name>?limit=&offset=`, a job's `<name>` paged by offset:
 * `{ total_<name>, limit, offset, <name>: [...] }`, with the objects route's ids, paging and errors.
 */
export function jobListRoute<T>(
  name: string,
  list: (services: Services, jobId: string, limit: number | undefined, offset: number | undefined, query: URLSearchParams) => Promise<OffsetPage<T>>,
  toWire: (item: T) => unknown,
): Route {
  return {
    method: 'GET',
    path: `/api/v1/jobs/:job_id/${name}`,
    mapError: mapListError,
    async handler({ params, query, services }) {
      const jobId = parseJobId(params.job_id, 'job_id');
      const page = await list(services, jobId, queryCount(query, 'limit'), queryCount(query, 'offset'), query);
      return {
        status: 200,
        body: { [`total_${name}`]: page.totalCount, limit: page.limit, offset: page.offset, [name]: page.nodes.map(toWire) },
      };
    },
  };
}
