import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { RunStatus } from '../../src/db/entities/statuses.js';
import type { Orm } from '../../src/db/orm.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';

export interface FakeCall {
  runId: number;
  signal: AbortSignal;
  /** Ends the run with `status` (writes the row like the real executor) unless it already ended. */
  finish(status?: RunStatus, error?: string): Promise<void>;
  ended: Promise<RunStatus>;
}

/**
 * A controllable RunExecutor: each call stays open until the test calls `finish`, or ends by itself
 * in `auto` mode; an abort ends it CANCELLED, as the real engine does at a chunk boundary.
 */
/** `auto`: every run ends so at once; `stopAfterMs`: a cancelled run ends that long after its abort (a sync reaching its next chunk boundary). */
export function createFakeExecutor(db: Orm | (() => Orm), options: { auto?: RunStatus | 'throw'; stopAfterMs?: number } = {}) {
  const ormOf = () => (typeof db === 'function' ? db() : db);
  const calls: FakeCall[] = [];
  let active = 0;
  let maxActive = 0;

  const execute: RunExecutor = (runId, signal) => {
    if (options.auto === 'throw') return Promise.reject(new Error('NoSuchBucket: The specified bucket does not exist'));
    let resolveEnded!: (s: RunStatus) => void;
    const ended = new Promise<RunStatus>((r) => (resolveEnded = r));
    let settled = false;
    active += 1;
    const finish = async (status: RunStatus = 'SUCCEEDED', error?: string) => {
      if (settled) return;
      settled = true;
      await ormOf()
        .em.fork()
        .nativeUpdate(SyncRun, { id: runId }, { status, finishedAt: new Date(), error: error ?? null, objectsDone: 1, objectsTotal: 1 });
      active -= 1;
      resolveEnded(status);
    };
    calls.push({ runId, signal, finish, ended });
    const stop = () => (options.stopAfterMs ? setTimeout(() => void finish('CANCELLED'), options.stopAfterMs) : void finish('CANCELLED'));
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) void finish('CANCELLED');
    if (options.auto) void finish(options.auto);
    maxActive = Math.max(maxActive, active);
    return ended;
  };

  return {
    execute,
    calls,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}
