import type { Orm } from '../db/orm.js';
import type { JobRunner } from '../scheduler/job-runner-types.js';
import { createJobLifecycleService } from './job-lifecycle-service.js';
import { createDeliveryService } from './delivery-service.js';
import { createJobService } from './job-service.js';
import { createObjectService } from './object-service.js';
import { createRunService } from './run-service.js';

export interface ServiceDeps {
  orm: Orm;
  runner: JobRunner;
  defaultPageSize: number;
  /** WEBHOOK_ALLOWED_HOSTS: webhook URLs must target one of these hosts; null = any host. */
  webhookAllowedHosts?: readonly string[] | null;
}

/** The one API that GraphQL resolvers and REST routes both call. */
export function createServices(deps: ServiceDeps) {
  return {
    jobs: createJobService(deps),
    lifecycle: createJobLifecycleService(deps),
    objects: createObjectService(deps),
    runs: createRunService(deps),
    deliveries: createDeliveryService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
