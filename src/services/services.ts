import type { Logger } from '../config/logger.js';
import { createSecretBox, type SecretBox } from '../config/secret-box.js';
import type { Orm } from '../db/orm.js';
import type { JobRunner } from '../scheduler/job-runner-types.js';
import type { ConnectorEviction } from './job-source-settings.js';
import { createJobLifecycleService } from './job-lifecycle-service.js';
import { createDeliveryService } from './delivery-service.js';
import { createJobService } from './job-service.js';
import { createObjectService } from './object-service.js';
import { createPreviewService, type PreviewServiceDeps } from './preview-service.js';
import { createRunService } from './run-service.js';

export interface ServiceDeps {
  orm: Orm;
  runner: JobRunner;
  defaultPageSize: number;
  /** WEBHOOK_ALLOWED_HOSTS: webhook URLs must target one of these hosts; null = any host. */
  webhookAllowedHosts?: readonly string[] | null;
  /** MIN_SCHEDULE_INTERVAL in ms (default 60 s); 0 = no limit. */
  minScheduleIntervalMs?: number;
  /** DB_OUTAGE_WAIT: how long what a committed change leaves for later waits for an unreachable database (default 10 min). */
  databaseOutageWaitMs?: number;
  /** DOWNLOAD_ROOT_FOLDER: where deletes clean up a job's files. Without it, deletes leave files alone. */
  downloadRoot?: string;
  /** Reports what a request cannot (files a delete could not remove). */
  logger?: Logger;
  /** Seals per-job credentials; without a key, jobs with credentials are refused. */
  secrets?: SecretBox;
  /** The process-wide SYNC_CONCURRENCY: a job's maxConcurrency may not exceed it. */
  syncConcurrency?: number;
  /** Told when a job's connection changes or the job goes, so its cached S3 client is dropped. */
  connectors?: ConnectorEviction;
  /** Lists a job's source for previewSync (sync/sync-preview.ts). */
  previewSync?: PreviewServiceDeps['previewSync'];
  /** Told once jobs are deleted (their live progress subscriptions complete). */
  onJobsDeleted?: (jobIds: string[]) => void;
}

export interface ResolvedServiceDeps extends ServiceDeps {
  secrets: SecretBox;
  syncConcurrency: number;
  connectors: ConnectorEviction;
}

/** The one API that GraphQL resolvers and REST routes both call. */
export function createServices(options: ServiceDeps) {
  const deps: ResolvedServiceDeps = {
    ...options,
    secrets: options.secrets ?? createSecretBox(undefined),
    syncConcurrency: options.syncConcurrency ?? Number.MAX_SAFE_INTEGER,
    connectors: options.connectors ?? { forget: () => {} },
  };
  return {
    jobs: createJobService(deps),
    lifecycle: createJobLifecycleService(deps),
    objects: createObjectService(deps),
    runs: createRunService(deps),
    deliveries: createDeliveryService(deps),
    previews: createPreviewService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
