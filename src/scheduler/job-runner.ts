// PLACEHOLDER until the scheduler lands: no timers; trigger runs the executor in the background.
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Logger } from '../config/logger.js';
import type { Orm } from '../db/orm.js';
import type { JobRunner, RunExecutor } from './job-runner-types.js';

export interface JobRunnerDeps {
  orm: Orm;
  execute: RunExecutor;
  logger: Logger;
  now?: () => Date;
}

export function createJobRunner({ orm, execute, logger }: JobRunnerDeps): JobRunner {
  const running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  const runner: JobRunner = {
    async start() {},
    async stop() {
      for (const entry of running.values()) entry.controller.abort();
      await Promise.allSettled([...running.values()].map((e) => e.done));
    },
    async schedule() {},
    unschedule() {},
    async trigger(jobId, trigger) {
      const em = orm.em.fork();
      const busy = running.has(jobId);
      const run = new SyncRun({ jobId, trigger, status: busy ? 'SKIPPED' : 'RUNNING', startedAt: new Date() });
      await em.persistAndFlush(run);
      if (!busy) {
        const controller = new AbortController();
        const done = execute(run.id, controller.signal)
          .catch((error: unknown) => logger.error({ err: error, runId: run.id }, 'run failed'))
          .finally(() => running.delete(jobId));
        running.set(jobId, { controller, done });
      }
      return run;
    },
    async cancel(jobId) {
      const entry = running.get(jobId);
      if (!entry) return false;
      entry.controller.abort();
      await entry.done;
      return true;
    },
    isRunning: (jobId) => running.has(jobId),
    [Symbol.asyncDispose]: () => runner.stop(),
  };
  return runner;
}
