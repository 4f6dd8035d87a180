import type { Route } from '../http/route.js';
import type { DeliveryView } from '../services/delivery-service.js';
import { jobListRoute } from './job-list-route.js';
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
  jobListRoute('deliveries', (services, jobId, limit, offset) => services.deliveries.listByOffset(jobId, limit, offset), toWireDelivery),
];
