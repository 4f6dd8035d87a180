import { OBJECT_STATUSES } from '../../db/entities/statuses.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { builder } from '../builder.js';
import { connectionComplexity, toConnection } from './connection.js';
import { DateTime } from './scalars.js';

export const ObjectStatus = builder.enumType('ObjectStatus', {
  values: OBJECT_STATUSES,
  description: 'SKIPPED: an empty object or a folder marker, nothing to fetch',
});

export const SyncObjectType = builder.objectType(SyncObject, {
  name: 'SyncObject',
  description: 'One S3 object of a job and its local copy',
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    key: t.exposeString('key', { description: 'The full S3 key' }),
    size: t.exposeFloat('size', { description: 'Bytes (exact up to 2^53)' }),
    lastPosition: t.exposeFloat('lastPosition', { description: 'Bytes committed so far (exclusive end)' }),
    status: t.expose('status', { type: ObjectStatus }),
    localPath: t.exposeString('localPath', { nullable: true }),
    etag: t.exposeString('etag', { nullable: true }),
    runId: t.exposeID('runId', { nullable: true, description: 'The run that last listed or worked on the object' }),
    instanceId: t.exposeString('instanceId', { nullable: true, description: 'The instance (INSTANCE_ID) that last worked on the object' }),
    error: t.exposeString('error', { nullable: true }),
    lastModified: t.expose('lastModified', { type: DateTime, nullable: true }),
    createdAt: t.expose('createdAt', { type: DateTime }),
    updatedAt: t.expose('updatedAt', { type: DateTime }),
  }),
});

export const SyncObjectConnection = builder.connectionObject({ type: SyncObjectType, name: 'SyncObjectConnection' });

builder.queryField('objects', (t) =>
  t.field({
    type: SyncObjectConnection,
    description: "A job's objects in the order they were first listed",
    args: {
      jobId: t.arg.id({ required: true }),
      first: t.arg.int(),
      after: t.arg.string(),
      status: t.arg({ type: ObjectStatus }),
      keyPrefix: t.arg.string({ description: 'Only keys starting with this ("" or null: all); % and _ are plain characters' }),
    },
    complexity: connectionComplexity,
    resolve: async (_root, { jobId, ...page }, ctx) => toConnection(await ctx.services.objects.list(jobId, page)),
  }),
);
