import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, runLogger } from '../../config/logger.js';
import { createSecretBox } from '../../config/secret-box.js';
import { niceThisThread } from '../../config/worker-threads.js';
import { createFailureLog } from '../../config/failure-log.js';
import { whileDatabaseDown } from '../../db/database-outage.js';
import { driverLogTo } from '../../db/driver-log.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import { initOrm, type Orm } from '../../db/orm.js';
import type { ProgressPublisher } from '../../events/event-bus.js';
import type { SyncProgressEvent } from '../../events/progress-event.js';
import { createRunConnectors, createRunExecutor, handedBackForDatabase, type RunExecutor } from '../run-executor.js';
import type { RetryCause } from '../transport/retry.js';
import type { EngineThreadData, FromEngine, ToEngine } from './protocol.js';
import { ShutdownAbort } from '../run/run-start.js';

/**
 * The engine thread (started by thread-executor.ts): its own database connection and S3 clients,
 * runs executed as the service asks, and everything a run tells the service (progress events,
 * retries, log lines, the outcome) posted back.
 */

/**
 * Linux: this thread (not the process) below the thread serving the API, which then wins the CPU
 * for a request's few milliseconds while a run keeps the cores busy; the hash workers it starts
 * run at the same value (hash-worker-thread.ts). A run's GETs wait on the network and the server
 * far more than on this thread's CPU share (figures: README, "Where the time goes").
 */
const ENGINE_NICE = 10;
niceThisThread(ENGINE_NICE);
if (!parentPort) throw new Error('engine-thread.ts runs as a worker thread only');
const port = parentPort;
const data = workerData as EngineThreadData;
// A Buffer arrives as a plain Uint8Array.
const config = { ...data.config, secretsKey: data.config.secretsKey && Buffer.from(data.config.secretsKey) };

/**
 * Progress events wait for the end of the current turn of the event loop and cross to the service
 * as one message: a batch commit of 500 small objects publishes 1,000 events in one go, and each
 * message has its own cost on both threads. Every other message first sends the events before it,
 * so the service sees everything in the order it was posted (a run's last events before its outcome).
 */
let events: SyncProgressEvent[] = [];
const sendEvents = () => {
  if (events.length === 0) return;
  const batch = events;
  events = [];
  port.postMessage({ type: 'events', events: batch } satisfies FromEngine);
};
const post = (message: FromEngine) => {
  sendEvents();
  port.postMessage(message);
};

const logger = createLogger(data.logLevel, { write: (line: string) => post({ type: 'log', line }) });

/**
 * Opens the thread's database: at the first run, waiting out an outage (down, restarting, no
 * connection slot free) as a run's reads do, up to DB_OUTAGE_WAIT or a graceful stop (`stop`).
 */
function openDatabase(stop: AbortSignal): Promise<Orm> {
  const waits = createFailureLog(logger, { failed: 'the sync engine thread waits for the database', recovered: 'the sync engine thread opened the database' });
  return whileDatabaseDown(() => initOrm(config.dbUrl, driverLogTo(logger)), { maxWaitMs: config.databaseOutageWaitMs, onWait: waits.failed, onRecovered: waits.succeeded, stop });
}

/**
 * A run given to the thread while its database could not be opened: handed back (RUNNING, resumed
 * later) when that was an outage, as run-executor.ts does; FAILED otherwise (the service records it).
 */
function withoutDatabase(error: unknown, runId: number): RunStatus {
  const log = runLogger(logger, null, runId);
  if (handedBackForDatabase(error, log, 'the sync engine thread could not open the database')) return 'RUNNING';
  log.error({ err: error }, 'the sync engine thread could not open the database');
  return 'FAILED';
}

/** Serves the service's requests; the database opens at the first run or help session, and is tried again at the next one if it could not. */
function serve(): void {
  const onRetry = (jobId: string, cause: RetryCause) => post({ type: 'retry', jobId, cause });
  const connectors = createRunConnectors(config, createSecretBox(config.secretsKey), onRetry);
  const bus: ProgressPublisher = {
    publish: (event) => {
      if (events.push(event) === 1) setImmediate(sendEvents);
    },
  };
  const stopping = new AbortController();
  let opening: Promise<{ orm: Orm; execute: RunExecutor }> | undefined;
  const engine = () =>
    (opening ??= openDatabase(stopping.signal).then(
      (orm) => ({ orm, execute: createRunExecutor({ orm, bus, config, logger, connectors, onRetry }) }),
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    ));
  const aborts = new Map<number, AbortController>();
  const working = new Set<Promise<void>>();

  /** Runs one request's work; if it throws (its report could not be posted), `fallback` tells the service it ended. */
  function track(id: number, work: (signal: AbortSignal) => Promise<void>, fallback: FromEngine): void {
    const abort = new AbortController();
    aborts.set(id, abort);
    const reported = work(abort.signal).catch((error: unknown) => {
      logger.error({ err: error }, 'the engine thread could not report the end of its work');
      post(fallback);
    });
    const done = reported.finally(() => {
      aborts.delete(id);
      working.delete(done);
    });
    working.add(done);
  }

  async function close(): Promise<void> {
    stopping.abort();
    for (const abort of aborts.values()) abort.abort(new ShutdownAbort());
    await Promise.allSettled(working);
    connectors.close();
    await (await opening?.catch(() => undefined))?.orm.close();
    post({ type: 'closed' });
  }

  port.on('message', (message: ToEngine) => {
    switch (message.type) {
      case 'run':
        return track(message.id, async (signal) => {
          const status = await engine().then(
            ({ execute }) => execute(message.runId, signal),
            (error: unknown) => withoutDatabase(error, message.runId),
          );
          post({ type: 'ran', id: message.id, runId: message.runId, status });
        }, { type: 'ran', id: message.id, runId: message.runId, status: 'FAILED' });
      case 'help':
        return track(message.id, async (signal) => {
          // A helper records nothing: without a database it just ends, and the run's holder carries on.
          await engine().then(({ execute }) => execute.help?.(message.runId, signal), () => undefined);
          post({ type: 'helped', id: message.id });
        }, { type: 'helped', id: message.id });
      case 'abort':
        // A graceful stop also ends the wait for the database: the runs waiting on it are handed back.
        if (message.shutdown) stopping.abort();
        return aborts.get(message.id)?.abort(message.shutdown ? new ShutdownAbort() : undefined);
      case 'forget':
        return connectors.forget(message.jobId);
      case 'close':
        return void close();
    }
  });
}

serve();
