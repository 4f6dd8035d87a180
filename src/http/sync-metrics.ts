import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../events/event-bus.js';
import type { SyncProgressEvent } from '../events/progress-event.js';
import { createCommittedBytes } from './committed-bytes.js';

/**
 * Feeds sync metrics from the event bus (the engine knows nothing about metrics); bytes are counted
 * as each object's committed prefix grows (committed-bytes.ts). A skipped due time or trigger
 * publishes no event: the scheduler reports it (`runSkipped`).
 */
export function bridgeSyncMetrics(bus: EventBus, registry: Registry): { runSkipped(): void; helpEnded(runId: number): void; stop(): void } {
  const registers = [registry];
  const bytes = new Counter({
    name: 'dss_sync_bytes_downloaded_total',
    help: 'Object bytes committed to checkpoints by sync runs (a resumed object counts from 0)',
    registers,
  });
  const objects = new Counter({
    name: 'dss_sync_objects_total',
    help: 'Objects finished by this process, by result (done, failed, skipped; deleted: moved to the trash by mirror deletes)',
    labelNames: ['result'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'dss_sync_runs_finished_total',
    help: "Sync runs finished, by final status (SKIPPED: each due time or trigger that found the job's run still going)",
    labelNames: ['status'] as const,
    registers,
  });
  const running = new Gauge({ name: 'dss_sync_runs_in_progress', help: 'Sync runs in progress', registers });
  for (const result of ['done', 'failed', 'skipped']) objects.inc({ result }, 0);

  const committed = createCommittedBytes();
  /** Runs this process announced (RUN_STARTED): a RUN_FINISHED of another's run (a gone holder's, cancelled here) is not one of them. */
  const inProgress = new Set<string>();

  function onEvent(event: SyncProgressEvent): void {
    switch (event.kind) {
      case 'RUN_STARTED':
        if (event.runId !== null) inProgress.add(event.runId);
        running.set(inProgress.size);
        break;
      case 'CHUNK': {
        const grown = committed.grown(event);
        if (grown > 0) bytes.inc(grown);
        break;
      }
      case 'OBJECT_DONE':
      case 'OBJECT_FAILED':
      case 'OBJECT_SKIPPED':
        committed.ended(event);
        objects.inc({ result: event.kind.slice('OBJECT_'.length).toLowerCase() });
        break;
      case 'OBJECT_DELETED':
        objects.inc({ result: 'deleted' });
        break;
      case 'RUN_FINISHED':
        if (event.runId !== null) inProgress.delete(event.runId);
        running.set(inProgress.size);
        runs.inc({ status: event.runStatus ?? 'UNKNOWN' });
        committed.forgetRun(event.runId ?? '');
        break;
    }
  }

  return {
    runSkipped: () => runs.inc({ status: 'SKIPPED' }),
    /** A helper's part of another instance's run ended: that run's RUN_FINISHED never reaches this process. */
    helpEnded: (runId: number) => committed.forgetRun(String(runId)),
    stop: bus.on(onEvent),
  };
}
