import type { Route } from '../http/route.js';
import { deliveryRoutes } from './delivery-routes.js';
import { jobRoutes } from './job-routes.js';
import { lifecycleRoutes } from './lifecycle-routes.js';
import { objectRoutes } from './object-routes.js';
import { previewRoutes } from './preview-routes.js';
import { runRoutes } from './run-routes.js';

/** Every REST route under /api/v1. To add routes, export a `Route[]` from a file in src/rest/ and list it here. */
export const restRoutes: Route[] = [
  ...jobRoutes,
  ...objectRoutes,
  ...lifecycleRoutes,
  ...deliveryRoutes,
  ...previewRoutes,
  ...runRoutes,
];
