import { expect } from 'vitest';
import type { Job } from '../../src/db/entities/job.entity.js';
import type { Services } from '../../src/services/services.js';
import { http, type HttpResult } from './clients.js';

/** The S3 job a test syncs: `bucket`, under `prefix` when given. */
export interface TestJob {
  name: string;
  schedule: string;
  bucket: string;
  prefix?: string;
  /** More of the REST `connector_config` (snake_case, sent as is). */
  connectorConfig?: Record<string, unknown>;
}

/** POST /api/v1/scheduler/create_job for `job`, answered as is (for the tests of a refusal). */
export function postCreateJob(target: { url: string } | string, job: TestJob): Promise<HttpResult<{ job_id?: string; message?: string }>> {
  return http(target, 'POST', '/api/v1/scheduler/create_job', {
    job_name: job.name,
    connector_type: 'S3',
    schedule: job.schedule,
    connector_config: { bucket_name: job.bucket, prefix: job.prefix, ...job.connectorConfig },
  });
}

/** Creates `job` over REST as a client does (not paused: its first run starts at once); fails the test unless that answers 200. */
export async function createJobOverRest(target: { url: string } | string, job: TestJob): Promise<string> {
  const created = await postCreateJob(target, job);
  expect(created.status, created.text).toBe(200);
  return created.body.job_id as string;
}

/**
 * Creates `job` paused through the service layer (as the API's handlers do), so nothing runs until
 * the test triggers it. (live-env.ts's `createPausedJob` goes through GraphQL.)
 */
export function createPausedJobInService(app: { services: Services }, job: Omit<TestJob, 'connectorConfig'>): Promise<Job> {
  return app.services.jobs.create({
    name: job.name,
    connectorType: 'S3',
    schedule: job.schedule,
    paused: true,
    connectorConfig: { bucketName: job.bucket, prefix: job.prefix },
  });
}
