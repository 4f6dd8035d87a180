import type { Route } from '../http/route.js';
import { jobListRoute } from './job-list-route.js';
import { toWireObject } from './wire.js';

/** A job's objects, `key_prefix` narrowing them, paged by offset. */
export const objectRoutes: Route[] = [
  jobListRoute('objects', (services, jobId, limit, offset, query) => services.objects.listByOffset(jobId, limit, offset, { keyPrefix: query.get('key_prefix') }), toWireObject),
];
