import type { EntityManager } from '@mikro-orm/core';
import { Job } from '../db/entities/job.entity.js';
import { SyncObject } from '../db/entities/sync-object.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { WebhookEvent } from '../db/entities/webhook-statuses.js';

/** Failed objects listed in a notification; the rest are in the API (`objects(status: FAILED)`). */
export const FIRST_ERRORS_LIMIT = 10;

/** The JSON body POSTed to a webhook (contract §7); GraphQL names and ISO 8601 times. */
export interface WebhookPayload {
  event: WebhookEvent;
  jobId: string;
  jobName: string;
  /** The run's id as GraphQL's `SyncRun.id` gives it (a string). */
  runId: string | null;
  status: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  objectsDone: number;
  objectsFailed: number;
  bytesDone: number;
  error: string | null;
  firstErrors: { key: string; error: string }[];
}

/** The payload for `event` about one run, read from its rows; null when the run or its job is gone. */
export async function buildRunPayload(
  em: EntityManager,
  runId: number,
  event: WebhookEvent,
  error?: string,
): Promise<{ job: Job; payload: WebhookPayload } | null> {
  const run = await em.findOne(SyncRun, { id: runId });
  const job = run ? await em.findOne(Job, { id: run.jobId }) : null;
  if (!run || !job) return null;
  const failed = await em.find(
    SyncObject,
    { jobId: job.id, runId, status: 'FAILED' },
    { orderBy: { id: 'asc' }, limit: FIRST_ERRORS_LIMIT, fields: ['key', 'error'] },
  );
  return {
    job,
    payload: {
      event,
      jobId: job.id,
      jobName: job.name,
      runId: String(run.id),
      status: run.status,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      objectsDone: run.objectsDone,
      objectsFailed: run.objectsFailed,
      bytesDone: run.bytesDone,
      error: error ?? run.error,
      firstErrors: failed.map((o) => ({ key: o.key, error: o.error ?? 'failed' })),
    },
  };
}
