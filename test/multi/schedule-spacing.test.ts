import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createServices } from '../../src/services/services.js';
import { waitFor } from '../helpers/poll.js';
import { openTestDb } from '../scheduler/test-db.js';
import { startSchedulerInstance } from './scheduler-instance.js';

const MIN_INTERVAL_MS = 10_000;

describe('MIN_SCHEDULE_INTERVAL with several instances', () => {
  it('a schedule finer than the minimum (stored before the limit) runs once per minimum interval between all of them', async () => {
    await using db = await openTestDb();
    const start = Date.parse('2026-11-29T10:00:00.000Z');
    await using a = await startSchedulerInstance(db.orm, 'a', start, MIN_INTERVAL_MS);
    const services = createServices({ orm: db.orm, runner: a.runner, defaultPageSize: 100, minScheduleIntervalMs: 0 });
    const job = await services.jobs.create({ name: 'every second', connectorType: 'S3', schedule: '*/1 * * * * *', connectorConfig: { bucketName: 'bucket-a' } });
    // The second instance starts 3 s later: its copy of the schedule fires at other seconds than the first's.
    a.clock.t += 3000;
    await using b = await startSchedulerInstance(await db.reopen(), 'b', a.clock.t, MIN_INTERVAL_MS);
    const instances = [a, b];
    for (let second = 0; second < 60; second++) {
      for (const { clock, runner } of instances) {
        await waitFor(() => !runner.isRunning(job.id), 5000, 'run ended');
        clock.t += 1000;
        await runner.tick();
      }
    }
    await waitFor(() => instances.every(({ runner }) => !runner.isRunning(job.id)), 5000, 'runs ended');
    const scheduled = (await db.orm.em.fork().find(SyncRun, { jobId: job.id, trigger: 'SCHEDULE' }, { orderBy: { scheduledFor: 'asc' } })).filter(
      (run) => run.status !== 'SKIPPED',
    );
    const dueTimes = scheduled.map((run) => run.scheduledFor!.getTime());
    const gaps = dueTimes.slice(1).map((t, i) => t - dueTimes[i]!);
    expect(scheduled.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_INTERVAL_MS);
  });
});
