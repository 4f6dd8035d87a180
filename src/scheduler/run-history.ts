import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { raw, type FilterQuery } from '@mikro-orm/core';
import type { Logger } from '../config/logger.js';
import { databaseNow } from '../db/database-clock.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { createTickLoop } from './tick-loop.js';

const DAY_MS = 86_400_000;

export interface RunHistoryPolicy {
  /** Runs created longer ago than this are removed (RUN_HISTORY_DAYS; 0 = no age limit). */
  maxAgeDays: number;
  /** Runs beyond this many newest of a job are removed (RUN_HISTORY_MAX; 0 = no count limit). */
  maxPerJob: number;
}

export interface RunHistoryPrunerDeps {
  orm: Orm;
  logger: Logger;
  policy: RunHistoryPolicy;
  now?: () => Date;
  /** Time between passes (default 10 min); a pass also runs right after start. */
  everyMs?: number;
  /** Rows deleted per statement, with the event loop free between statements (default 500). */
  batchSize?: number;
}

export interface RunHistoryPruner {
  start(): void;
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
  /** One pass over every job; returns the number of runs removed. */
  pruneOnce(): Promise<number>;
}

interface JobRuns {
  jobId: string;
  runs: number;
  latest: number;
}

/**
 * Keeps run history bounded: per job, runs older than `maxAgeDays` and runs beyond the newest
 * `maxPerJob` are deleted in small batches on a timer, so the API never waits on a long delete.
 * Never removed: a RUNNING run, a job's newest run and its newest run that did work (Job.lastRun).
 */
export function createRunHistoryPruner({
  orm,
  logger,
  policy,
  now = () => databaseNow(orm),
  everyMs = 10 * 60_000,
  batchSize = 500,
}: RunHistoryPrunerDeps): RunHistoryPruner {
  const enabled = policy.maxAgeDays > 0 || policy.maxPerJob > 0;
  let pass: Promise<number> | null = null;
  let stopped = false;

  async function jobsWithRuns(): Promise<{ jobs: JobRuns[]; lastWorked: Map<string, number> }> {
    const em = orm.em.fork();
    const rows = await em
      .createQueryBuilder(SyncRun)
      .select(['jobId', raw('count(*) as runs'), raw('max(id) as latest')])
      .groupBy('jobId')
      .execute<Array<{ jobId: string; runs: number | string; latest: number | string }>>('all', true);
    const worked = await em
      .createQueryBuilder(SyncRun)
      .select(['jobId', raw('max(id) as latest')])
      .where({ status: { $ne: 'SKIPPED' } })
      .groupBy('jobId')
      .execute<Array<{ jobId: string; latest: number | string }>>('all', true);
    return {
      jobs: rows.map((r) => ({ jobId: r.jobId, runs: Number(r.runs), latest: Number(r.latest) })),
      lastWorked: new Map(worked.map((r) => [r.jobId, Number(r.latest)])),
    };
  }

  /** The oldest run id of the newest `maxPerJob` (runs below it are over the cap), or 0 when within it. */
  async function countBoundary(job: JobRuns): Promise<number> {
    if (policy.maxPerJob <= 0 || job.runs <= policy.maxPerJob) return 0;
    const [boundary] = await orm.em
      .fork()
      .find(SyncRun, { jobId: job.jobId }, { fields: ['id'], orderBy: { id: 'desc' }, offset: policy.maxPerJob - 1, limit: 1 });
    return boundary?.id ?? 0;
  }

  async function pruneJob(job: JobRuns, keep: number[], cutoff: Date | null): Promise<number> {
    const boundary = await countBoundary(job);
    const expired: FilterQuery<SyncRun>[] = [];
    if (cutoff) expired.push({ createdAt: { $lt: cutoff } });
    if (boundary) expired.push({ id: { $lt: boundary } });
    if (expired.length === 0) return 0;
    const where: FilterQuery<SyncRun> = { jobId: job.jobId, status: { $ne: 'RUNNING' }, id: { $nin: keep }, $or: expired };
    let removed = 0;
    while (!stopped) {
      const em = orm.em.fork();
      const batch = await em.find(SyncRun, where, { fields: ['id'], orderBy: { id: 'asc' }, limit: batchSize });
      if (batch.length === 0) break;
      removed += await em.nativeDelete(SyncRun, { id: { $in: batch.map((r) => r.id) } });
      if (batch.length < batchSize) break;
      await yieldToLoop();
    }
    return removed;
  }

  async function pruneAll(): Promise<number> {
    if (!enabled) return 0;
    const cutoff = policy.maxAgeDays > 0 ? new Date(now().getTime() - policy.maxAgeDays * DAY_MS) : null;
    const { jobs, lastWorked } = await jobsWithRuns();
    let removed = 0;
    for (const job of jobs) {
      if (stopped) break;
      const keep = [job.latest, lastWorked.get(job.jobId) ?? job.latest];
      removed += await pruneJob(job, keep, cutoff);
      await yieldToLoop();
    }
    const deliveries = stopped ? 0 : await pruneDeliveriesOfRemovedRuns();
    if (removed > 0 || deliveries > 0) logger.info({ removed, deliveries, ...policy }, 'pruned run history');
    return removed;
  }

  /**
   * The webhook deliveries (and, by cascade, their attempts) of runs no longer kept: those that
   * ended; one still being retried stays until it ends, and goes at the next pass.
   */
  async function pruneDeliveriesOfRemovedRuns(): Promise<number> {
    const knex = orm.em.getKnex();
    const runGone = knex('sync_runs').select(knex.raw('1')).whereRaw('sync_runs.id = webhook_deliveries.run_id');
    return knex('webhook_deliveries').whereNot('status', 'PENDING').whereNotNull('run_id').whereNotExists(runGone).delete();
  }

  /** One pass at a time: a call during a pass waits for it, then makes its own (it may have rows the other missed). */
  const pruneOnce = async (): Promise<number> => {
    while (pass) await pass.catch(() => undefined);
    pass = pruneAll().finally(() => (pass = null));
    return pass;
  };

  const loop = createTickLoop(async () => void (await pruneOnce()), everyMs, (err) => logger.error({ err }, 'pruning run history failed'));

  return {
    start() {
      if (!enabled) return;
      stopped = false;
      loop.start();
      pruneOnce().catch((err: unknown) => logger.error({ err }, 'pruning run history failed'));
    },
    async stop() {
      stopped = true;
      await loop.stop();
      while (pass) await pass.catch(() => undefined);
    },
    pruneOnce,
  };
}
