import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Route } from './route.js';

export interface RequestSample {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

/**
 * One prom-client Registry per app (tests run several apps in one process, and the global
 * registry would refuse a second metric of the same name).
 */
export function createMetrics(options: { beforeScrape?: () => Promise<void> } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const route: Route = {
    method: 'GET',
    path: '/metrics',
    logLevel: 'debug',
    handler: async () => {
      await options.beforeScrape?.();
      return { status: 200, body: await registry.metrics(), headers: { 'content-type': registry.contentType } };
    },
  };

  return {
    registry,
    route,
    observeRequest({ method, route: pattern, status, seconds }: RequestSample): void {
      const labels = { method, route: pattern, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
