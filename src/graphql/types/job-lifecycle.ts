import type { Job } from '../../db/entities/job.entity.js';
import type { SyncRun } from '../../db/entities/sync-run.entity.js';
import { builder } from '../builder.js';
import { S3ConnectorConfigUpdateInput } from './connector-config.js';
import { JobType } from './job.js';
import { SyncRunType } from './sync-run.js';
import { WebhookInput } from './webhook-input.js';

export const UpdateJobInput = builder.inputType('UpdateJobInput', {
  description: 'Fields to change; an omitted field keeps its value. A new schedule takes effect at once.',
  fields: (t) => ({
    name: t.string({ description: '3 to 25 characters, trimmed' }),
    schedule: t.string({ description: 'A named interval or a 5/6-field cron expression' }),
    timezone: t.string({ description: 'IANA zone for a cron schedule; null clears it (UTC)' }),
    prefix: t.string({ description: 'Key prefix to sync; "" for the whole bucket' }),
    webhooks: t.field({ type: [WebhookInput], description: "Replaces the job's webhooks; [] removes them" }),
    connectorConfig: t.field({ type: S3ConnectorConfigUpdateInput, description: 'The prefix and the per-job connection, filters and limits' }),
  }),
});

const JobPayload = builder.objectRef<{ job: Job }>('JobPayload').implement({
  fields: (t) => ({ job: t.expose('job', { type: JobType }) }),
});

const TriggerJobPayload = builder.objectRef<{ job: Job; run: SyncRun }>('TriggerJobPayload').implement({
  fields: (t) => ({
    job: t.expose('job', { type: JobType }),
    run: t.expose('run', { type: SyncRunType, description: 'The new run, or a SKIPPED one when a run was already going' }),
  }),
});

const CancelRunPayload = builder.objectRef<{ job: Job; run: SyncRun | null }>('CancelRunPayload').implement({
  fields: (t) => ({
    job: t.expose('job', { type: JobType }),
    run: t.expose('run', { type: SyncRunType, nullable: true, description: 'The cancelled run' }),
  }),
});

const DeleteJobsPayload = builder.objectRef<{ deletedJobIds: string[]; unknownJobIds: string[] }>('DeleteJobsPayload').implement({
  fields: (t) => ({
    deletedJobIds: t.exposeIDList('deletedJobIds'),
    unknownJobIds: t.exposeIDList('unknownJobIds', { description: 'Well-formed ids that matched no job' }),
  }),
});

builder.mutationFields((t) => ({
  updateJob: t.field({
    type: JobPayload,
    description: 'Changes a job; a new schedule or timezone is registered at once and nextRunAt recomputed',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateJobInput, required: true }) },
    resolve: async (_root, { id, input }, ctx) => ({ job: await ctx.services.lifecycle.update(id, input) }),
  }),
  pauseJob: t.field({
    type: JobPayload,
    description: 'Stops the schedule and cancels a run in progress at its next chunk boundary',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ job: await ctx.services.lifecycle.pause(id) }),
  }),
  resumeJob: t.field({
    type: JobPayload,
    description: 'Puts a paused job back on its schedule (its next run is the next scheduled time)',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ job: await ctx.services.lifecycle.resume(id) }),
  }),
  triggerJob: t.field({
    type: TriggerJobPayload,
    description: 'Runs the job now; while a run is going this records a SKIPPED run instead',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.lifecycle.trigger(id),
  }),
  cancelRun: t.field({
    type: CancelRunPayload,
    description: "Cancels the job's run in progress at its next chunk boundary; checkpoints are kept",
    args: { jobId: t.arg.id({ required: true }) },
    resolve: (_root, { jobId }, ctx) => ctx.services.lifecycle.cancelRun(jobId),
  }),
  deleteJobs: t.field({
    type: DeleteJobsPayload,
    description: 'Deletes several jobs; one malformed id deletes nothing. Downloaded files stay unless purgeFiles.',
    args: {
      ids: t.arg.idList({ required: true }),
      purgeFiles: t.arg.boolean({ defaultValue: false, description: "Also remove the jobs' downloaded files (their whole folders)" }),
    },
    resolve: (_root, { ids, purgeFiles }, ctx) => ctx.services.lifecycle.deleteMany(ids, 'ids', { purgeFiles }),
  }),
}));
