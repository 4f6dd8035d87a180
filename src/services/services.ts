import type { Logger } from '../config/logger.js';
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
  /** MIN_SCHEDULE_INTERVAL in ms (default 60 s); 0 = no limit. */
  minScheduleIntervalMs?: number;
  /** DOWNLOAD_ROOT_FOLDER: where deletes clean up a job's files. Without it, deletes leave files alone. */
  downloadRoot?: string;
  /** Reports what a request cannot (files a delete could not remove). */
  logger?: Logger;
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
