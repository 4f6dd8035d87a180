import { resolve } from 'node:path';
import type { Job } from '../db/entities/job.entity.js';
import type { Orm } from '../db/orm.js';
import { createCheckpointStore } from './checkpoint/checkpoint-store.js';
import { compareBytewise } from './checkpoint/key-span.js';
import { listingBoundaries } from './checkpoint/listing-boundaries.js';
import { DEFAULT_LIST_RANGE_MIN_KEYS } from './transfer/sync-tuning.js';
import type { ConnectorCache } from './transport/connector-cache.js';
import { createKeyFilter } from './run/key-filter.js';
import { isPresent } from './local/local-files.js';
import { DEFAULT_MAX_DELETE_PERCENT } from './run/mirror-deletes.js';
import { planMirrorDeletes, withoutReplacedFiles } from './run/mirror-delete-plan.js';
import { listPrefix } from './run/key-range-listing.js';
import { planPage, recordableKey } from './run/page-plan.js';

/** Keys listed per bucket of a preview. */
export const PREVIEW_KEYS = 100;

export interface PreviewBucket {
  objects: number;
  bytes: number;
  /** The first PREVIEW_KEYS keys, in UTF-8 byte order (S3's listing order). */
  keys: string[];
}

export interface SyncPreview {
  listedObjects: number;
  fetch: PreviewBucket;
  skip: PreviewBucket;
  exclude: PreviewBucket;
  /**
   * Local files mirror deletes would move to the trash (not a user's own file where the service's was:
   * a run leaves it), then folder markers gone or excluded (empty when mirror deletes are off or blocked).
   */
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
  /** Key ranges listed side by side, as a run lists them (LIST_CONCURRENCY; default 1). */
  listConcurrency?: number;
}

const emptyBucket = (): PreviewBucket => ({ objects: 0, bytes: 0, keys: [] });
/** Counts the object and keeps its key if it is among the PREVIEW_KEYS first (key ranges list out of order). */
const add = (bucket: PreviewBucket, key: string, bytes: number) => {
  bucket.objects += 1;
  bucket.bytes += bytes;
  const { keys } = bucket;
  if (keys.length === PREVIEW_KEYS && compareBytewise(key, keys[keys.length - 1]!) >= 0) return;
  let at = keys.length;
  while (at > 0 && compareBytewise(key, keys[at - 1]!) < 0) at -= 1;
  keys.splice(at, 0, key);
  if (keys.length > PREVIEW_KEYS) keys.pop();
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
    const excludedKeys = new Set<string>();
    const listPages = (startAfter: string | undefined) => lease.connector.listPages(job.bucketName, job.prefix, signal, startAfter);
    const boundaries = await listingBoundaries(deps.orm, job.id, {
      bucket: job.bucketName,
      ranges: deps.listConcurrency ?? 1,
      minKeys: DEFAULT_LIST_RANGE_MIN_KEYS,
      prefix: job.prefix,
      after: null,
    });
    for await (const { objects } of listPrefix({ listPages, after: null, boundaries, signal: signal ?? new AbortController().signal })) {
      // Keys listed again after key ranges were given up are counted once.
      const page = objects.filter((remote) => !keptKeys.has(remote.key) && !excludedKeys.has(remote.key));
      preview.listedObjects += page.length;
      const kept = keep ? page.filter((remote) => keep(remote.key)) : page;
      if (keep) {
        for (const remote of page) {
          if (keep(remote.key)) continue;
          excludedKeys.add(remote.key);
          add(preview.exclude, remote.key, remote.size);
        }
      }
      if (kept.length === 0) continue;
      const stored = await store.load(kept.map((remote) => recordableKey(remote.key)));
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
      const plan = await planMirrorDeletes(deps.orm, job.id, jobRoot, keptKeys, preview.listedObjects, job.maxDeletePercent ?? DEFAULT_MAX_DELETE_PERCENT);
      if (plan.kind === 'blocked') preview.deletesBlocked = plan.message;
      else for (const row of withoutReplacedFiles(jobRoot, plan.rows)) add(preview.delete, row.key, row.size);
    }
    return preview;
  } finally {
    lease.release();
  }
}
