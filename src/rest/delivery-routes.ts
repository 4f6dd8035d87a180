import type { Route } from '../http/route.js';
import type { DeliveryView } from '../services/delivery-service.js';
import { parseJobId } from '../services/ids.js';
import { mapObjectsError } from './object-routes.js';
import { queryCount } from './request.js';
import { httpDate } from './wire.js';

/** A webhook delivery in the REST style: snake_case, RFC 1123 dates, every attempt listed. */
export function toWireDelivery({ delivery, attempts }: DeliveryView) {
  return {
    delivery_id: delivery.id,
    job_id: delivery.jobId,
    run_id: delivery.runId,
    event: delivery.event,
    url: delivery.url,
    status: delivery.status,
    attempt_count: delivery.attempts,
    next_attempt_at: delivery.status === 'PENDING' ? httpDate(delivery.nextAttemptAt) : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    delivered_at: delivery.deliveredAt ? httpDate(delivery.deliveredAt) : null,
    created_at: httpDate(delivery.createdAt),
    updated_at: httpDate(delivery.updatedAt),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      attempted_at: httpDate(a.attemptedAt),
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}

/** A job's webhook deliveries, newest first; paging, ids and errors as in the objects route. */
export const deliveryRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/jobs/:job_id/deliveries',
    mapError: mapObjectsError,
    async handler({ params, query, services }) {
      const jobId = parseJobId(params.job_id, 'job_id');
      const page = await services.deliveries.listByOffset(jobId, queryCount(query, 'limit'), queryCount(query, 'offset'));
      return {
        status: 200,
        body: { total_deliveries: page.totalCount, limit: page.limit, offset: page.offset, deliveries: page.nodes.map(toWireDelivery) },
      };
    },
  },
];
