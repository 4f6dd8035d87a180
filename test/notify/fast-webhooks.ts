import { expect } from 'vitest';
import type { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import type { TestApp } from '../helpers/test-app.js';

export const SECRET = 'webhook-secret-0123456789';

/** Fast retries and polling, so a test sees five attempts in well under a second. */
export const FAST = { WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE: '0.02' };

/** The RUN_FAILED body of a run that failed before any object (its listing), as stored. */
export function failedBeforeObjectsBody(run: SyncRun, jobName: string) {
  return {
    event: 'RUN_FAILED',
    jobId: run.jobId,
    jobName,
    runId: String(run.id),
    status: 'FAILED',
    startedAt: run.startedAt!.toISOString(),
    finishedAt: run.finishedAt!.toISOString(),
    objectsDone: 0,
    objectsFailed: 0,
    bytesDone: 0,
    error: run.error,
    firstErrors: [],
  };
}

/** A paused job (no run of its own) with these webhooks. */
export async function pausedJob(app: TestApp, webhooks: unknown[] = []): Promise<string> {
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'webhooks',
    connector_type: 'S3',
    schedule: 'hourly',
    connector_config: { bucket_name: 'my-bucket' },
    paused: true,
    webhooks,
  });
  expect(created.status).toBe(200);
  return created.body.job_id as string;
}
