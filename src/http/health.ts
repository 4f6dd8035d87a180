import { isDatabaseReady, type Orm } from '../db/orm.js';
import type { Route } from './route.js';

/** Liveness and readiness probes; always open, even when API_TOKEN is set. */
export function healthRoutes(orm: Orm): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      auth: false,
      logLevel: 'debug',
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      auth: false,
      logLevel: 'debug',
      handler: async () =>
        (await isDatabaseReady(orm))
          ? { status: 200, body: { status: 'ok', database: 'ok' } }
          : { status: 503, body: { status: 'unavailable', database: 'unreachable' } },
    },
  ];
}
