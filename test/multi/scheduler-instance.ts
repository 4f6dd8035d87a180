import type { Orm } from '../../src/db/orm.js';
import { createJobRunner, type SchedulingJobRunner } from '../../src/scheduler/job-runner.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';
import { silentLogger } from '../scheduler/test-db.js';

/**
 * One instance's scheduler on the shared database, in this process: its own ORM, clock (`clock.t`,
 * moved by hand), executor (each run ends at once) and id. Ticks only when the test calls tick().
 */
export async function startSchedulerInstance(orm: Orm, instanceId: string, t: number, minIntervalMs?: number) {
  const clock = { t };
  const runner: SchedulingJobRunner = createJobRunner({
    orm,
    execute: createFakeExecutor(orm, { auto: 'SUCCEEDED' }).execute,
    logger: silentLogger,
    now: () => new Date(clock.t),
    tickMs: 3_600_000,
    instanceId,
    minIntervalMs,
  });
  await runner.start();
  return { clock, runner, [Symbol.asyncDispose]: () => runner.stop() };
}
