import { PROGRESS_KINDS, type SyncProgressEvent } from '../../events/progress-event.js';
import { NotFoundError } from '../../services/errors.js';
import { builder } from '../builder.js';
import { DateTime } from './scalars.js';
import { ObjectStatus } from './sync-object.js';
import { RunStatus } from './sync-run.js';

export const ProgressKind = builder.enumType('ProgressKind', { values: PROGRESS_KINDS });

export const SyncProgressEventType = builder.objectRef<SyncProgressEvent>('SyncProgressEvent').implement({
  description: 'One step of a sync run; CHUNK is published only after its checkpoint is committed',
  fields: (t) => ({
    kind: t.expose('kind', { type: ProgressKind }),
    jobId: t.exposeID('jobId'),
    runId: t.exposeID('runId', { nullable: true }),
    objectKey: t.exposeString('objectKey', { nullable: true }),
    bytesTransferred: t.exposeFloat('bytesTransferred', {
      description: "CHUNK/OBJECT_*: the object's bytes committed so far; RUN_*: bytes done in the run",
    }),
    objectSize: t.exposeFloat('objectSize', { nullable: true }),
    status: t.expose('status', { type: ObjectStatus, nullable: true }),
    runStatus: t.field({ type: RunStatus, nullable: true, resolve: (event) => event.runStatus ?? null }),
    error: t.string({ nullable: true, resolve: (event) => event.error ?? null }),
    at: t.expose('at', { type: DateTime }),
  }),
});

builder.subscriptionField('syncProgress', (t) =>
  t.field({
    type: SyncProgressEventType,
    description: "A job's progress events, or every job's when jobId is omitted; NOT_FOUND for a job that does not exist",
    args: { jobId: t.arg.id() },
    subscribe: async (_root, { jobId }, ctx) => {
      if (jobId == null) return ctx.bus.subscribe();
      const { id } = await ctx.services.jobs.require(jobId, 'jobId');
      const queue = ctx.bus.subscribe(id);
      // A delete that landed between the check and the subscription sent its JOB_DELETED to nobody:
      // the subscription ends. Any other failure of this check is an error, not "the job is gone".
      try {
        await ctx.services.jobs.require(id, 'jobId');
      } catch (error) {
        void queue.return();
        if (error instanceof NotFoundError) return queue;
        throw error;
      }
      return queue;
    },
    resolve: (event) => event,
  }),
);
