import { resolve } from 'node:path';
import type { Job } from '../db/entities/job.entity.js';
import type { Orm } from '../db/orm.js';
import { createCheckpointStore } from './checkpoint/checkpoint-store.js';
import type { ConnectorCache } from './transport/connector-cache.js';
import { createKeyFilter } from './run/key-filter.js';
import { isPresent } from './local/local-files.js';
import { DEFAULT_MAX_DELETE_PERCENT, planMirrorDeletes } from './run/mirror-deletes.js';
import { planPage } from './run/page-plan.js';

/** Keys listed per bucket of a preview. */
export const PREVIEW_KEYS = 100;

export interface PreviewBucket {
  objects: number;
  bytes: number;
  /** The first PREVIEW_KEYS keys, in listing order. */
  keys: string[];
}

export interface SyncPreview {
  listedObjects: number;
  fetch: PreviewBucket;
  skip: PreviewBucket;
  exclude: PreviewBucket;
  /** Local files mirror deletes would move to the trash (empty when mirror deletes are off or blocked). */
  delete: PreviewBucket;
  /** Keys a run would refuse (unsafe for the file system) and record as FAILED. */
  refuse: PreviewBucket;
  /** Why mirror deletes would remove nothing although files are gone (the run would then fail). */
  deletesBlocked: string | null;
}

export interface SyncPreviewDeps {
  orm: Orm;
  connectors: Pick<ConnectorCache, 'acquire'>;
  downloadRoot: string;
}

const emptyBucket = (): PreviewBucket => ({ objects: 0, bytes: 0, keys: [] });
const add = (bucket: PreviewBucket, key: string, bytes: number) => {
  bucket.objects += 1;
  bucket.bytes += bytes;
  if (bucket.keys.length < PREVIEW_KEYS) bucket.keys.push(key);
};

/**
 * Lists the job's source now and says what a run would do with each object, with the run's own
 * rules (filters, unchanged-and-present skip, mirror-delete guard). Transfers, writes and deletes nothing.
 * `job` must have its sealed credentials loaded.
 */
export async function previewSync(deps: SyncPreviewDeps, job: Job, signal?: AbortSignal): Promise<SyncPreview> {
  const lease = deps.connectors.acquire(job);
  try {
    const jobRoot = resolve(deps.downloadRoot, job.id);
    // Only `load` is used: it reads rows and writes nothing.
    const store = createCheckpointStore(deps.orm, job.id, 0, 'preview');
    const keep = createKeyFilter(job);
    const preview: SyncPreview = {
      listedObjects: 0,
      fetch: emptyBucket(),
      skip: emptyBucket(),
      exclude: emptyBucket(),
      delete: emptyBucket(),
      refuse: emptyBucket(),
      deletesBlocked: null,
    };
    const keptKeys = new Set<string>();
    for await (const page of lease.connector.listPages(job.bucketName, job.prefix, signal)) {
      preview.listedObjects += page.length;
      const kept = keep ? page.filter((remote) => keep(remote.key)) : page;
      if (keep) for (const remote of page) if (!keep(remote.key)) add(preview.exclude, remote.key, remote.size);
      if (kept.length === 0) continue;
      const stored = await store.load(kept.map((remote) => remote.key));
      for (const decision of planPage(jobRoot, kept, stored)) {
        const { remote } = decision;
        keptKeys.add(remote.key);
        if (decision.kind === 'refused') add(preview.refuse, remote.key, remote.size);
        else if (decision.kind === 'unchanged' && isPresent(decision.path, remote.size, decision.isDirectory)) add(preview.skip, remote.key, remote.size);
        else if (decision.kind === 'empty') add(preview.skip, remote.key, 0);
        else add(preview.fetch, remote.key, remote.size);
      }
    }
    if (job.mirrorDeletes) {
      const plan = await planMirrorDeletes(deps.orm, job.id, keptKeys, preview.listedObjects, job.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT);
      if (plan.kind === 'blocked') preview.deletesBlocked = plan.message;
      else for (const row of plan.rows) add(preview.delete, row.key, row.size);
    }
    return preview;
  } finally {
    lease.release();
  }
}
