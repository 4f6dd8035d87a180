import type { Logger } from '../config/logger.js';
import { succeedsWithin } from '../config/succeeds-within.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import { countClaimable } from '../sync/multi/object-claims.js';
import type { RunHelper } from '../sync/run-executor.js';
import { ShutdownAbort } from '../sync/run/run-start.js';

export interface RunHelpersDeps {
  orm: Orm;
  help: RunHelper;
  instanceId: string;
  logger: Logger;
  now: () => Date;
  /** Told once each helping session has ended, its objects' last events published (must not throw). */
  onHelpEnded?: (runId: number) => void;
}

/**
 * Work sharing, the helper's side: RUNNING runs held by other (live) instances that have objects
 * nobody has claimed get this instance's help, one helping session per run at a time.
 */
export function createRunHelpers({ orm, help, instanceId, logger, now, onHelpEnded }: RunHelpersDeps) {
  const helping = new Map<number, { controller: AbortController; done: Promise<void> }>();

  /** Helping stops (at a chunk boundary) on runs that ended, whose cancel was asked, or that `npm run sync` took over. */
  async function stopEnded(): Promise<void> {
    if (helping.size === 0) return;
    const ids = [...helping.keys()];
    const going = await orm.em.fork().find(SyncRun, { id: { $in: ids }, status: 'RUNNING', cancelRequestedAt: null, sharesWork: true }, { fields: ['id'] });
    const live = new Set(going.map((run) => run.id));
    for (const id of ids) if (!live.has(id)) helping.get(id)?.controller.abort();
  }

  return {
    /** Joins every run of another live instance with unclaimed objects (`skip`: jobs this instance runs itself). */
    async check(skip: (jobId: string) => boolean): Promise<void> {
      const at = now();
      await stopEnded();
      const runs = await orm.em
        .fork()
        .find(SyncRun, { status: 'RUNNING', sharesWork: true, leaseOwner: { $ne: instanceId }, leaseExpiresAt: { $gt: at } }, { fields: ['id', 'jobId', 'leaseOwner'] });
      for (const run of runs) {
        if (helping.has(run.id) || skip(run.jobId)) continue;
        if ((await countClaimable(orm, run.id, at)) === 0) continue;
        logger.info({ runId: run.id, jobId: run.jobId, holder: run.leaseOwner }, 'helping with a sync run of another instance');
        const controller = new AbortController();
        const done = help(run.id, controller.signal).finally(() => {
          helping.delete(run.id);
          onHelpEnded?.(run.id);
        });
        helping.set(run.id, { controller, done });
      }
    },
    /**
     * Graceful stop: helping stops at a chunk boundary and the claims go back at once (when the
     * database answers: a stop does not wait for it); waits up to `timeoutMs`.
     */
    async stopAll(timeoutMs: number): Promise<void> {
      const sessions = [...helping.values()];
      for (const session of sessions) session.controller.abort(new ShutdownAbort());
      const stopped = await succeedsWithin(Promise.all(sessions.map((session) => session.done)), timeoutMs, { holdOpen: true });
      if (!stopped) logger.warn({ runs: [...helping.keys()] }, 'helping sessions did not stop in time');
    },
  };
}
