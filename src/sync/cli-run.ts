import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Config } from '../config/env.js';
import { databaseNow } from '../db/database-clock.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import { isPostgres, type Orm } from '../db/orm.js';
import { openJobFolder, type JobFolder } from './local/job-folder.js';
import { endRunStoppedForScopeChange, stoppingForScopeChange } from './local/job-scope.js';
import { acquireRunLock, type RunLock } from './local/run-lock.js';
import { countLiveClaims } from './multi/object-claims.js';
import type { RunLeases } from './multi/run-leases.js';

/** Why a foreground run cannot start: the job's run is going elsewhere. */
export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
}

/**
 * The run `npm run sync` works on: the job's RUNNING run when nobody works on it any more (same run
 * id, continued from its checkpoints), else a new one. Who works on it: on PostgreSQL the run's
 * lease (a run taken over is returned once its helpers have left); on SQLite (one host) the job
 * folder's pid lock, held here until `release`.
 */
export async function acquireCliRun(orm: Orm, config: Config, leases: RunLeases, jobId: string): Promise<{ runId: number; release(): Promise<void> }> {
  let lock: RunLock | undefined;
  let folder: JobFolder | undefined;
  if (!isPostgres(orm)) {
    folder = openJobFolder(resolve(config.downloadRoot, jobId));
    try {
      lock = await acquireRunLock(folder.partialFolder());
    } catch (error) {
      const described = folder.described(error);
      folder.close();
      throw described;
    }
  }
  const release = async () => {
    await lock?.release();
    folder?.close();
  };
  try {
    const em = orm.em.fork();
    const running = await em.findOne(SyncRun, { jobId, status: 'RUNNING' });
    if (running) {
      if (await leases.claim(running.id, { any: lock !== undefined })) {
        if (!lock) await untilHelpersLeft(orm, config, leases, running.id);
        if (!stoppingForScopeChange(running)) return { runId: running.id, release };
        // Its listing position is the old scope's: ended, as the service ends it, and a new run lists the new one.
        await endRunStoppedForScopeChange(orm, running.id, new Date());
        leases.release(running.id);
      } else {
        throw new RunInProgressError(`job ${jobId} has a run in progress (run ${running.id} on ${running.leaseOwner}); try again when it has finished`);
      }
    }
    const startedAt = new Date();
    const run = new SyncRun({ jobId, trigger: 'CLI', status: 'RUNNING', startedAt, scheduledFor: startedAt, ...leases.newLease() });
    try {
      // A native insert: a flush would switch on the promise hooks for the run (db/plain-transaction.ts).
      run.id = await em.insert(run);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new RunInProgressError(`job ${jobId} has a run in progress; try again when it has finished`);
      throw error;
    }
    leases.hold(run.id);
    return { runId: run.id, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * PostgreSQL: a run taken over from a service instance may still have helpers fetching its objects.
 * Taken by the CLI, the run no longer shares work: they stop at their next look (every
 * RUN_LEASE_TTL/3) and hand their claims back, or their claims expire. The CLI lists only once no
 * one else may be writing the job's files; it gives the run back if they are still at it after
 * 2 × RUN_LEASE_TTL + 5 s.
 */
async function untilHelpersLeft(orm: Orm, config: Config, leases: RunLeases, runId: number): Promise<void> {
  const deadline = Date.now() + 2 * config.runLeaseTtlMs + 5000;
  while ((await countLiveClaims(orm, runId, databaseNow(orm))) > 0) {
    if (Date.now() > deadline) {
      await leases.handBack([runId]);
      throw new RunInProgressError(`run ${runId} still has other instances fetching its objects; try again when they have stopped`);
    }
    await sleep(250);
  }
}
