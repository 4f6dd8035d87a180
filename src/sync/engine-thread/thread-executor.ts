import { SHARE_ENV, Worker, type WorkerOptions } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../../config/env.js';
import { startWorkerModule } from '../../config/worker-threads.js';
import { succeedsWithin } from '../../config/succeeds-within.js';
import type { Logger } from '../../config/logger.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import type { Orm } from '../../db/orm.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import { recordInternalFailure, type RunExecutor, type RunExecutorDeps } from '../run-executor.js';
import type { EngineThreadData, FromEngine, ToEngine } from './protocol.js';
import { ShutdownAbort } from '../run/run-start.js';

export interface ThreadExecutorDeps extends Pick<RunExecutorDeps, 'onRetry'> {
  orm: Orm;
  bus: ProgressPublisher;
  config: Config;
  logger: Logger;
  /** The thread's module, when not engine-thread's own beside this one (see BuildAppOptions.engineThreadEntry). */
  entry?: URL;
}

export type ThreadRunExecutor = RunExecutor & {
  /** The thread's S3 client of a job is dropped (the job was updated or deleted). */
  forget(jobId: string): void;
  /** Ends the thread once its runs have stopped (the runner stops them first). */
  close(): Promise<void>;
  /** The thread now running, if any (diagnostics and tests). */
  currentThread(): Worker | undefined;
};

interface Pending {
  runId: number;
  /** Null for a help session. */
  resolve: (status: RunStatus | null) => void;
  detach: () => void;
}

/**
 * A RunExecutor whose runs execute on one engine thread (engine-thread.ts), started at the first
 * run: the service's event loop then serves the API while a run lists, writes and commits, instead
 * of waiting behind that work. The thread opens its own database connection, and hands a run back
 * (RUNNING) when it could not. If it dies, its runs end FAILED and the next run starts a new one.
 */
export function createThreadRunExecutor(deps: ThreadExecutorDeps): ThreadRunExecutor {
  const { logger } = deps;
  const destination = (logger as unknown as Record<symbol, { write(line: string): void } | undefined>)[pino.symbols.streamSym];
  let thread: Worker | undefined;
  let closing: Promise<void> | undefined;
  let onClosed = () => {};
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const onMessage = (message: FromEngine) => {
    switch (message.type) {
      case 'events':
        for (const event of message.events) deps.bus.publish(event);
        return;
      case 'retry':
        return deps.onRetry?.(message.jobId, message.cause);
      case 'log':
        // Already formatted, leveled and redacted by the thread's logger.
        return destination?.write(message.line);
      case 'ran':
        return settle(message.id, message.status);
      case 'helped':
        return settle(message.id, null);
      case 'closed':
        return onClosed();
    }
  };
  const settle = (id: number, status: RunStatus | null) => {
    const waiter = pending.get(id);
    pending.delete(id);
    waiter?.detach();
    waiter?.resolve(status);
  };
  /** The thread ended while runs were on it: each is recorded FAILED, as a run the engine could not finish. */
  const lost = (worker: Worker, error?: unknown) => {
    if (thread !== worker) return;
    thread = undefined;
    if (pending.size === 0 && !error) return;
    logger.error({ err: error, runs: [...pending.values()].map((p) => p.runId) }, 'the sync engine thread stopped');
    for (const [id, waiter] of pending) {
      if (waiter.runId >= 0) {
        void recordInternalFailure(deps.orm, waiter.runId, deps.bus).then(() => settle(id, 'FAILED'));
      } else settle(id, null);
    }
  };
  const ensureThread = () => {
    if (thread) return thread;
    const workerData: EngineThreadData = { config: deps.config, logLevel: logger.level };
    // The environment shared, not copied: the SDK reads AWS_* variables and profiles as the service does.
    const options: WorkerOptions = { workerData, env: SHARE_ENV };
    const worker = deps.entry ? new Worker(deps.entry, options) : startWorkerModule('engine-thread', import.meta.url, options);
    worker.on('message', onMessage);
    worker.on('error', (error) => lost(worker, error));
    worker.on('exit', () => lost(worker));
    thread = worker;
    return worker;
  };
  const submit = (type: 'run' | 'help', runId: number, signal: AbortSignal) =>
    new Promise<RunStatus | null>((resolve) => {
      const worker = ensureThread();
      const id = nextId++;
      const post = (message: ToEngine) => worker.postMessage(message);
      const onAbort = () => post({ type: 'abort', id, shutdown: signal.reason instanceof ShutdownAbort });
      signal.addEventListener('abort', onAbort, { once: true });
      pending.set(id, { runId: type === 'run' ? runId : -1, resolve, detach: () => signal.removeEventListener('abort', onAbort) });
      post({ type, id, runId });
      if (signal.aborted) onAbort();
    });

  const execute = (async (runId: number, signal: AbortSignal) => (await submit('run', runId, signal)) ?? 'FAILED') as ThreadRunExecutor;
  execute.help = async (runId, signal) => {
    await submit('help', runId, signal);
  };
  execute.currentThread = () => thread;
  execute.forget = (jobId) => thread?.postMessage({ type: 'forget', jobId } satisfies ToEngine);
  execute.close = () =>
    (closing ??= (async () => {
      const worker = thread;
      if (!worker) return;
      // 'closed' comes after every message of the thread: nothing is lost by terminating then.
      const closed = new Promise<void>((resolve) => {
        onClosed = resolve;
        worker.once('exit', () => resolve());
      });
      worker.postMessage({ type: 'close' } satisfies ToEngine);
      await succeedsWithin(closed, 10_000, { holdOpen: true });
      await worker.terminate();
    })());
  return execute;
}
