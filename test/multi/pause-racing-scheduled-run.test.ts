import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createServices } from '../../src/services/services.js';
import { openTestDb, silentLogger } from '../scheduler/test-db.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';

const MINUTE = 60_000;

/**
 * Two instances' runners on one PostgreSQL: B reads the job's row and records its due time's run
 * while A pauses the job; each round lets the pause land a few turns later into B's tick.
 */
describe('a pause through instance A while instance B fires the due time', () => {
  it('no scheduled run of the paused job starts after the pause answered', { timeout: 60_000 }, async () => {
    await using db = await openTestDb();
    const hour = Date.parse('2026-11-29T10:00:00.000Z');
    const clock = { t: hour - 5 * MINUTE };
    const mk = async (orm: typeof db.orm, id: string) => {
      const fake = createFakeExecutor(orm);
      const runner = createJobRunner({ orm, execute: fake.execute, logger: silentLogger, now: () => new Date(clock.t), tickMs: 3_600_000, instanceId: id, leaseTtlMs: 3000 });
      await runner.start();
      return { runner, fake };
    };
    const a = await mk(db.orm, 'a');
    const b = await mk(await db.reopen(), 'b');
    const services = createServices({ orm: db.orm, runner: a.runner, defaultPageSize: 100 });
    const out: string[] = [];
    for (let round = 0; round < 10; round++) {
      clock.t = hour + round * 2 * 60 * MINUTE - 5 * MINUTE;
      const job = await services.jobs.create({ name: `round ${round}`, connectorType: 'S3', schedule: '0 * * * *', paused: true, connectorConfig: { bucketName: 'bucket-a' } });
      await services.lifecycle.resume(job.id);
      await b.runner.tick(); // b follows the jobs table
      clock.t = hour + round * 2 * 60 * MINUTE + 1000;
      const tick = b.runner.tick();
      for (let i = 0; i < round; i++) await nextTurn();
      const paused = await services.lifecycle.pause(job.id);
      await tick;
      await new Promise((r) => setTimeout(r, 100));
      const running = await db.orm.em.fork().find(SyncRun, { jobId: job.id, status: 'RUNNING' });
      out.push(`round ${round}: pause answered ${paused.status}; RUNNING runs after: ${running.map((r) => `${r.trigger}${r.cancelRequestedAt ? " (cancel asked)" : ""}`).join(",")}`);
    }
    await a.runner.stop(); await b.runner.stop();
    // A SCHEDULE run left RUNNING would sync to its end for a job the pause answered PAUSED.
    expect(out.filter((s) => /SCHEDULE/.test(s))).toEqual([]);
  });
});
