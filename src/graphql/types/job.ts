import { Job } from '../../db/entities/job.entity.js';
import { CONNECTOR_TYPES, JOB_STATUSES } from '../../db/entities/statuses.js';
import { builder } from '../builder.js';
import { connectionComplexity, toConnection } from './connection.js';
import { S3ConnectorConfig, S3ConnectorConfigInput } from './connector-config.js';
import { DateTime } from './scalars.js';
import { ObjectStatus, SyncObjectConnection } from './sync-object.js';
import { SyncRunType } from './sync-run.js';
import { WebhookInput } from './webhook-input.js';

export const ConnectorType = builder.enumType('ConnectorType', { values: CONNECTOR_TYPES });
export const JobStatus = builder.enumType('JobStatus', { values: JOB_STATUSES });

export const JobType = builder.objectType(Job, {
  name: 'Job',
  description: 'A scheduled sync of one S3 prefix into <DOWNLOAD_ROOT_FOLDER>/<id>/',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The job's UUID (REST's job_id)" }),
    name: t.exposeString('name'),
    connectorType: t.expose('connectorType', { type: ConnectorType }),
    connectorConfig: t.field({
      type: S3ConnectorConfig,
      resolve: (job) => job,
    }),
    schedule: t.exposeString('schedule', { description: 'A named interval (hourly, …) or a cron expression' }),
    timezone: t.exposeString('timezone', { nullable: true, description: 'IANA zone of a cron schedule; null means UTC' }),
    status: t.expose('status', { type: JobStatus }),
    createdAt: t.expose('createdAt', { type: DateTime }),
    updatedAt: t.expose('updatedAt', { type: DateTime }),
    nextRunAt: t.expose('nextRunAt', { type: DateTime, nullable: true }),
    lastRun: t.field({
      type: SyncRunType,
      nullable: true,
      description: 'The most recent run that did work (skipped ticks are not counted)',
      resolve: (job, _args, ctx) => ctx.loaders.lastRun.load(job.id),
    }),
    objects: t.field({
      type: SyncObjectConnection,
      args: { first: t.arg.int(), after: t.arg.string(), status: t.arg({ type: ObjectStatus }), keyPrefix: t.arg.string() },
      complexity: connectionComplexity,
      resolve: async (job, page, ctx) => toConnection(await ctx.services.objects.list(job.id, page)),
    }),
  }),
});

export const JobConnection = builder.connectionObject({ type: JobType, name: 'JobConnection' });

builder.queryFields((t) => ({
  jobs: t.field({
    type: JobConnection,
    description: 'Jobs, oldest first',
    args: { first: t.arg.int(), after: t.arg.string(), status: t.arg({ type: JobStatus }) },
    complexity: connectionComplexity,
    resolve: async (_root, args, ctx) => toConnection(await ctx.services.jobs.list(args)),
  }),
  job: t.field({
    type: JobType,
    nullable: true,
    description: 'null when no job has this id',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.jobs.get(id),
  }),
}));

export const CreateJobInput = builder.inputType('CreateJobInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '3 to 25 characters, trimmed' }),
    connectorType: t.field({ type: ConnectorType, required: true }),
    schedule: t.string({
      required: true,
      description: 'quinqueminutely, decaminutely, half-hourly, hourly, daily, weekly, monthly, or a 5/6-field cron expression',
    }),
    timezone: t.string({ description: 'IANA zone for a cron schedule, default UTC' }),
    connectorConfig: t.field({ type: S3ConnectorConfigInput, required: true }),
    paused: t.boolean({ description: 'Create the job paused: no first run, no schedule until resumed' }),
    webhooks: t.field({ type: [WebhookInput], description: 'At most 10; run outcomes are POSTed to them' }),
  }),
});

const CreateJobPayload = builder.objectRef<{ job: Job }>('CreateJobPayload').implement({
  fields: (t) => ({ job: t.expose('job', { type: JobType }) }),
});

const DeleteJobPayload = builder.objectRef<{ deletedJobId: string }>('DeleteJobPayload').implement({
  fields: (t) => ({ deletedJobId: t.exposeID('deletedJobId') }),
});

builder.mutationFields((t) => ({
  createJob: t.field({
    type: CreateJobPayload,
    description: 'Validates and stores a job; its first run starts right away unless it is created paused',
    args: { input: t.arg({ type: CreateJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ job: await ctx.services.jobs.create(input) }),
  }),
  deleteJob: t.field({
    type: DeleteJobPayload,
    description:
      'Stops the schedule, cancels a running sync, removes the rows and the partial downloads; downloaded files stay unless purgeFiles',
    args: {
      id: t.arg.id({ required: true }),
      purgeFiles: t.arg.boolean({ defaultValue: false, description: "Also remove the job's downloaded files (its whole folder)" }),
    },
    resolve: async (_root, { id, purgeFiles }, ctx) => ({ deletedJobId: await ctx.services.jobs.delete(id, 'id', { purgeFiles }) }),
  }),
}));
