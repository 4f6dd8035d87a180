import DataLoader from 'dataloader';
import type { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Services } from '../services/services.js';

/** Per-operation batch loaders: a page of jobs asking for `lastRun` costs one service call, not one per job. */
export function createLoaders(services: Services) {
  return {
    lastRun: new DataLoader<string, SyncRun | null>(async (jobIds) => {
      const runs = await services.jobs.lastRuns(jobIds);
      return jobIds.map((id) => runs.get(id) ?? null);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
