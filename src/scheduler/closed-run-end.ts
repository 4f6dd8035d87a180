import type { Logger } from '../config/logger.js';
import type { RunStatus } from '../db/entities/statuses.js';
import type { Orm } from '../db/orm.js';
import type { ProgressPublisher } from '../events/event-bus.js';
import { announceRunEnd } from '../sync/run/run-events.js';
import type { RunFinishedHook } from './job-runner-types.js';
import { recordJobStatusAfterRun, reportRunEnd } from './run-slots.js';

export interface ClosedRunEndDeps {
  orm: Orm;
  logger: Logger;
  /** Where RUN_FINISHED goes (its subscribers saw RUN_STARTED). */
  bus?: ProgressPublisher;
  onRunFinished?: RunFinishedHook;
}

/**
 * The rest of the end of a run this process closed without executing it (a gone holder's run
 * cancelled, a run a scope change was stopping): RUN_FINISHED, the job's status, the end-of-run hooks.
 */
export async function completeClosedRunEnd(
  { orm, logger, bus, onRunFinished }: ClosedRunEndDeps,
  run: { jobId: string; runId: number; status: RunStatus; error?: string },
): Promise<void> {
  if (bus) await announceRunEnd(orm, bus, run.runId, run.status, run.error);
  await recordJobStatusAfterRun(orm, run.jobId, run.status);
  await reportRunEnd(logger, onRunFinished, { jobId: run.jobId, runId: run.runId, status: run.status });
}
