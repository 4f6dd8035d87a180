import { Counter, Gauge, type Registry } from 'prom-client';
import type { SyncProgressEvent } from '../events/progress-event.js';
import type { CommittedBytes } from './committed-bytes.js';

/**
 * Feeds the process-wide sync metrics from the event bus (the engine knows nothing about metrics);
 * bytes are counted as each object's committed prefix grows (committed-bytes.ts). A skipped due time
 * or trigger publishes no event: the scheduler reports it (`runSkipped`).
 */
export function bridgeSyncMetrics(progress: CommittedBytes, registry: Registry): { runSkipped(): void; stop(): void } {
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

  /** Runs this process announced (RUN_STARTED): a RUN_FINISHED of another's run (a gone holder's, cancelled here) is not one of them. */
  const inProgress = new Set<string>();

  function onEvent(event: SyncProgressEvent, grown: number): void {
    switch (event.kind) {
      case 'RUN_STARTED':
        if (event.runId !== null) inProgress.add(event.runId);
        running.set(inProgress.size);
        break;
      case 'CHUNK':
        if (grown > 0) bytes.inc(grown);
        break;
      case 'OBJECT_DONE':
      case 'OBJECT_FAILED':
      case 'OBJECT_SKIPPED':
        objects.inc({ result: event.kind.slice('OBJECT_'.length).toLowerCase() });
        break;
      case 'OBJECT_DELETED':
        objects.inc({ result: 'deleted' });
        break;
      case 'RUN_FINISHED':
        if (event.runId !== null) inProgress.delete(event.runId);
        running.set(inProgress.size);
        runs.inc({ status: event.runStatus ?? 'UNKNOWN' });
        break;
    }
  }

  return {
    runSkipped: () => runs.inc({ status: 'SKIPPED' }),
    stop: progress.on(onEvent),
  };
}
