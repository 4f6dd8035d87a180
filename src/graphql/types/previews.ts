import type { PreviewBucket, SyncPreview } from '../../sync/sync-preview.js';
import { builder } from '../builder.js';
import { JobType } from './job.js';
import { DateTime } from './scalars.js';

const PREVIEW_SYNC_COMPLEXITY = 20_000;

const SyncPreviewBucket = builder.objectRef<PreviewBucket>('SyncPreviewBucket').implement({
  fields: (t) => ({
    objects: t.exposeInt('objects'),
    bytes: t.exposeFloat('bytes'),
    keys: t.exposeStringList('keys', { description: 'The first 100 keys, in listing order' }),
  }),
});

const SyncPreviewType = builder.objectRef<SyncPreview>('SyncPreview').implement({
  description: 'What a run started now would do; computed from a fresh listing, nothing transferred or deleted',
  fields: (t) => ({
    listedObjects: t.exposeInt('listedObjects', { description: 'Objects under the prefix, filtered out or not' }),
    fetch: t.expose('fetch', { type: SyncPreviewBucket, description: 'New, changed, unfinished or locally missing objects' }),
    skip: t.expose('skip', { type: SyncPreviewBucket, description: 'Unchanged objects whose local file is there, and empty objects' }),
    exclude: t.expose('exclude', { type: SyncPreviewBucket, description: 'Objects the include/exclude patterns leave out' }),
    delete: t.expose('delete', { type: SyncPreviewBucket, description: "Local files mirror deletes would move to the trash (not a user's own file in place of the service's: a run leaves it), then folder markers gone or excluded" }),
    refuse: t.expose('refuse', { type: SyncPreviewBucket, description: 'Keys the run would refuse as unsafe (recorded FAILED)' }),
    deletesBlocked: t.exposeString('deletesBlocked', { nullable: true, description: 'Why mirror deletes would remove nothing (the run would fail)' }),
  }),
});

builder.objectFields(JobType, (t) => ({
  upcomingRuns: t.field({
    type: [DateTime],
    description: "The schedule's next run times (a preview: also shown for a paused job)",
    args: { count: t.arg.int({ defaultValue: 5, description: '1 to 100' }) },
    resolve: (job, { count }, ctx) => ctx.services.previews.upcomingRunsOf(job, count),
  }),
}));

builder.queryFields((t) => ({
  previewSync: t.field({
    type: SyncPreviewType,
    description: 'Lists the job’s source now and says what a run would fetch, skip, exclude and delete, without doing any of it',
    args: { jobId: t.arg.id({ required: true }) },
    // Each preview lists the job's whole prefix: most of the operation's budget (QueryLimits), so
    // one operation asks for one, not hundreds of listings through aliases.
    complexity: PREVIEW_SYNC_COMPLEXITY,
    resolve: (_root, { jobId }, ctx) => ctx.services.previews.previewSync(jobId, 'jobId', ctx.request.signal),
  }),
}));
