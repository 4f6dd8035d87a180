import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Route, RouteContext } from '../http/route.js';
import { CONNECTOR_CONFIG_MESSAGE } from '../services/inputs.js';
import { updatableConfig } from './connector-config-wire.js';
import { requireKeys } from './request.js';
import { httpDate, toWireJob } from './wire.js';

/** A run as the lifecycle routes return it; byte counts are decimal strings like the object routes' sizes. */
export function toWireRun(run: SyncRun) {
  return {
    run_id: run.id,
    job_id: run.jobId,
    trigger: run.trigger,
    status: run.status,
    started_at: run.startedAt ? httpDate(run.startedAt) : null,
    finished_at: run.finishedAt ? httpDate(run.finishedAt) : null,
    objects_total: run.objectsTotal,
    objects_done: run.objectsDone,
    objects_failed: run.objectsFailed,
    objects_skipped: run.objectsSkipped,
    bytes_total: String(run.bytesTotal),
    bytes_done: String(run.bytesDone),
    error: run.error,
    skipped_count: run.skippedCount,
    scheduled_for: run.scheduledFor ? httpDate(run.scheduledFor) : null,
    instance_id: run.instanceId,
  };
}

async function jobIdBody({ readJsonObject }: RouteContext): Promise<Record<string, unknown>> {
  const body = await readJsonObject();
  requireKeys(body, ['job_id']);
  return body;
}

const post = (path: string, handler: Route['handler']): Route => ({ method: 'POST', path: `/api/v1/scheduler/${path}`, handler });

/** Lifecycle routes added to the old service's set, in its style: `{ "message": … }`, 400/404 as for delete_job, 409 for a wrong state. */
export const lifecycleRoutes: Route[] = [
  post('update_job', async (ctx) => {
    const body = await jobIdBody(ctx);
    const job = await ctx.services.lifecycle.update(
      body.job_id,
      {
        name: body.job_name,
        schedule: body.schedule,
        timezone: body.timezone,
        connectorConfig: updatableConfig(body.connector_config, CONNECTOR_CONFIG_MESSAGE),
        webhooks: body.webhooks,
      },
      'job_id',
    );
    return { status: 200, body: { job: toWireJob(job), message: 'Job updated successfully' } };
  }),
  post('pause_job', async (ctx) => {
    const job = await ctx.services.lifecycle.pause((await jobIdBody(ctx)).job_id, 'job_id');
    return { status: 200, body: { job: toWireJob(job), message: 'Job paused successfully' } };
  }),
  post('resume_job', async (ctx) => {
    const job = await ctx.services.lifecycle.resume((await jobIdBody(ctx)).job_id, 'job_id');
    return { status: 200, body: { job: toWireJob(job), message: 'Job resumed successfully' } };
  }),
  post('trigger_job', async (ctx) => {
    const { job, run } = await ctx.services.lifecycle.trigger((await jobIdBody(ctx)).job_id, 'job_id');
    const message = run.status === 'SKIPPED' ? 'Run skipped: the previous run is still in progress' : 'Job triggered successfully';
    return { status: 200, body: { job: toWireJob(job), run: toWireRun(run), message } };
  }),
  post('cancel_run', async (ctx) => {
    const { job, run } = await ctx.services.lifecycle.cancelRun((await jobIdBody(ctx)).job_id, 'job_id');
    return { status: 200, body: { job: toWireJob(job), run: run && toWireRun(run), message: 'Run cancelled successfully' } };
  }),
  ...(['DELETE', 'POST'] as const).map(
    (method): Route => ({
      method,
      path: '/api/v1/scheduler/delete_jobs',
      async handler({ readJsonObject, services }) {
        const body = await readJsonObject();
        requireKeys(body, ['job_ids']);
        const result = await services.lifecycle.deleteMany(body.job_ids, 'job_ids', { purgeFiles: body.purge_files, purgeField: 'purge_files' });
        return {
          status: 200,
          body: {
            deleted_job_ids: result.deletedJobIds,
            unknown_job_ids: result.unknownJobIds,
            message: result.deletedJobIds.length ? 'Jobs deleted successfully' : 'No job deleted',
          },
        };
      },
    }),
  ),
];
