import type { Route } from '../http/route.js';
import { jobListRoute } from './job-list-route.js';
import { toWireRun } from './lifecycle-routes.js';

/** A job's runs, newest first, paged like its objects (and answering errors the same way). */
export const runRoutes: Route[] = [jobListRoute('runs', (services, jobId, limit, offset) => services.runs.listByOffset(jobId, limit, offset), toWireRun)];
