import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import { createFakeExecutor } from './fake-executor.js';
import { openTestDb, silentLogger } from './test-db.js';
import { turnsDuring } from '../helpers/event-loop.js';

const HOUR = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A runner on a fresh database, its clock at `startAt` (moved by setting `clock.t`); runs end SUCCEEDED at cleanup. */
async function startRunnerAt(startAt: number) {
  const db = await openTestDb();
  const clock = { t: startAt };
  const fake = createFakeExecutor(db.orm);
  const runner = createJobRunner({ orm: db.orm, execute: fake.execute, logger: silentLogger, now: () => new Date(clock.t), tickMs: HOUR });
  cleanups.push(async () => {
    for (const call of fake.calls) await call.finish('SUCCEEDED');
    await runner.stop();
    await db[Symbol.asyncDispose]();
  });
  return { db, clock, fake, runner };
}

/** `count` hourly jobs created an hour before `at`, next due at `nextRunAt` (null: planned at start). */
async function hourlyJobs(db: Awaited<ReturnType<typeof openTestDb>>, at: number, count: number, nextRunAt: Date | null): Promise<Job[]> {
  const em = db.orm.em.fork();
  const createdAt = new Date(at - HOUR);
  const jobs = Array.from(
    { length: count },
    (_, i) => new Job({ id: randomUUID(), name: `job-${i}`, connectorType: 'S3', bucketName: 'bucket', schedule: '0 * * * *', status: 'SCHEDULED', nextRunAt, createdAt, updatedAt: createdAt }),
  );
  for (const job of jobs) em.persist(job);
  await em.flush();
  return jobs;
}

/**
 * A platform's jobs are often all on `0 * * * *`. When a few hundred fall due in one tick, it starts
 * them one after another; on SQLite every `await` of the tick resolves as a microtask, so without a
 * yield the event loop (HTTP requests, `/healthz` included) waited for the last one: 2.1 s with 300
 * due jobs of 5,000.
 */
it('a tick that starts many due jobs lets the event loop run between them', async () => {
  const { db, clock, fake, runner } = await startRunnerAt(Date.UTC(2026, 0, 1, 12, 30));
  const due = 100;
  await hourlyJobs(db, clock.t, due, new Date(clock.t + HOUR));
  await runner.start();
  expect(fake.calls).toHaveLength(0);

  clock.t = Date.UTC(2026, 0, 1, 13, 0, 0, 5);
  const turns = await turnsDuring(() => runner.tick());

  expect(fake.calls).toHaveLength(due);
  // At least one turn per 10 jobs started.
  expect(turns).toBeGreaterThanOrEqual(due / 10);
});

it('start-up catching up on many missed due times lets the event loop run between them', async () => {
  const { db, clock, fake, runner } = await startRunnerAt(Date.UTC(2026, 0, 1, 13, 0, 5));
  const missed = 100;
  await hourlyJobs(db, clock.t - HOUR, missed, new Date(clock.t - 5_000));

  const turns = await turnsDuring(() => runner.start());

  expect(fake.calls).toHaveLength(missed);
  expect(turns).toBeGreaterThanOrEqual(missed / 10);
});

it("a schedule replaced while the tick starts its due time keeps the new plan's next run time", async () => {
  const { db, clock, runner } = await startRunnerAt(Date.UTC(2026, 0, 1, 12, 30));
  const [job] = await hourlyJobs(db, clock.t, 1, null);
  await runner.start();

  clock.t = Date.UTC(2026, 0, 1, 13, 0, 0, 5);
  // An update on this instance lands while the tick is at its due time: the row, then the new plan.
  await db.orm.em.fork().nativeUpdate(Job, { id: job!.id }, { schedule: '45 * * * *' });
  const ticking = runner.tick();
  await runner.schedule(await db.orm.em.fork().findOneOrFail(Job, { id: job!.id }));
  await ticking;

  const stored = await db.orm.em.fork().findOneOrFail(Job, { id: job!.id });
  // Before: 14:00, the old schedule's next time, written by the tick after the update's 13:45.
  expect(stored.nextRunAt?.toISOString()).toBe('2026-01-01T13:45:00.000Z');
});
