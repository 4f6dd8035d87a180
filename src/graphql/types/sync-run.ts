import { RUN_STATUSES, RUN_TRIGGERS } from '../../db/entities/statuses.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import { builder } from '../builder.js';
import { connectionComplexity, toConnection } from './connection.js';
import { DateTime } from './scalars.js';
import { MAX_RUN_FAILURES } from '../../services/object-service.js';
import { SyncObjectType } from './sync-object.js';

export const RunStatus = builder.enumType('RunStatus', {
  values: RUN_STATUSES,
  description: 'FAILED: at least one object failed or the listing failed',
});

export const RunTrigger = builder.enumType('RunTrigger', { values: RUN_TRIGGERS });

export const SyncRunType = builder.objectType(SyncRun, {
  name: 'SyncRun',
  description: 'One execution of a job (or a skipped tick, status SKIPPED)',
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    status: t.expose('status', { type: RunStatus }),
    trigger: t.expose('trigger', { type: RunTrigger }),
    startedAt: t.expose('startedAt', { type: DateTime, nullable: true }),
    finishedAt: t.expose('finishedAt', { type: DateTime, nullable: true }),
    objectsTotal: t.exposeInt('objectsTotal'),
    objectsDone: t.exposeInt('objectsDone', { description: 'Objects PROCESSED or SKIPPED in this run' }),
    objectsFailed: t.exposeInt('objectsFailed'),
    objectsSkipped: t.exposeInt('objectsSkipped'),
    bytesTotal: t.exposeFloat('bytesTotal'),
    bytesDone: t.exposeFloat('bytesDone'),
    error: t.exposeString('error', { nullable: true }),
    skippedCount: t.exposeInt('skippedCount', {
      description:
        'SKIPPED runs: how many consecutive skipped ticks this row stands for (startedAt: the first, finishedAt: the last); 0 for runs that ran',
    }),
    failures: t.field({
      type: [SyncObjectType],
      description: `The first objects that failed in this run, each with its error (an object a later run touched again counts for that run); first: 0 to ${MAX_RUN_FAILURES}, default 5`,
      args: { first: t.arg.int() },
      complexity: { field: 1, multiplier: MAX_RUN_FAILURES },
      resolve: (run, args, ctx) => ctx.services.objects.runFailures(run.jobId, run.id, args.first ?? 5),
    }),
    scheduledFor: t.expose('scheduledFor', {
      type: DateTime,
      nullable: true,
      description: "The due time the run is for (the schedule's; a first run's is its job's creation; a manual trigger's its moment); one run per due time across instances",
    }),
    instanceId: t.exposeString('instanceId', { nullable: true, description: 'The instance (INSTANCE_ID) that started the run or last took it over' }),
  }),
});

export const SyncRunConnection = builder.connectionObject({ type: SyncRunType, name: 'SyncRunConnection' });

builder.queryField('runs', (t) =>
  t.field({
    type: SyncRunConnection,
    description: "A job's runs, newest first",
    args: { jobId: t.arg.id({ required: true }), first: t.arg.int(), after: t.arg.string() },
    complexity: connectionComplexity,
    resolve: async (_root, { jobId, ...page }, ctx) => toConnection(await ctx.services.runs.list(jobId, page)),
  }),
);
