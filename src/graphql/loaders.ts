import DataLoader from 'dataloader';
import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Services } from '../services/services.js';

/**
 * Per-operation batch loaders: a page of jobs asking for `lastRun` costs one service call, not one per
 * job. They batch but do not remember: the fields of a mutation document run one after another, and
 * a later one must see what an earlier one changed (a trigger's own run as the job's lastRun).
 */
export function createLoaders(services: Services) {
  return {
    lastRun: new DataLoader<string, SyncRun | null>(
      async (jobIds) => {
        const runs = await services.jobs.lastRuns(jobIds);
        return jobIds.map((id) => runs.get(id) ?? null);
      },
      { cache: false },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
