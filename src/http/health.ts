import { isDatabaseReady } from '../db/database-readiness.js';
import type { Orm } from '../db/orm.js';
import type { RedisTransport } from '../events/redis-transport.js';
import type { Route } from './route.js';

/**
 * Liveness and readiness probes; always open, even when API_TOKEN is set. Readiness is the
 * database's: with REDIS_URL set, Redis is reported too, but its outage only degrades progress
 * events (syncs and the API go on), so it does not take the instance out of a load balancer.
 */
export function healthRoutes(orm: Orm, redis?: RedisTransport): Route[] {
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
      handler: async () => {
        const [database, redisUp] = await Promise.all([isDatabaseReady(orm), redis?.isReady()]);
        const redisField = redis ? { redis: redisUp ? 'ok' : 'unreachable' } : {};
        if (!database) return { status: 503, body: { status: 'unavailable', database: 'unreachable', ...redisField } };
        return { status: 200, body: { status: redis && !redisUp ? 'degraded' : 'ok', database: 'ok', ...redisField } };
      },
    },
  ];
}
