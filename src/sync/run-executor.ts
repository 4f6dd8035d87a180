// PLACEHOLDER until the sync engine lands: marks the run SUCCEEDED without doing anything.
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Config } from '../config/env.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import type { RunExecutor } from '../scheduler/job-runner-types.js';

export interface RunExecutorDeps {
  orm: Orm;
  bus: EventBus;
  config: Config;
  logger: Logger;
}

export function createRunExecutor({ orm }: RunExecutorDeps): RunExecutor {
  return async (runId) => {
    const em = orm.em.fork();
    const run = await em.findOneOrFail(SyncRun, { id: runId });
    run.status = 'SUCCEEDED';
    run.finishedAt = new Date();
    await em.flush();
    return run.status;
  };
}
