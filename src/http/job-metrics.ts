import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { databaseClockOffsetMs } from '../db/database-clock.js';
import { Job } from '../db/entities/job.entity.js';
import type { RunStatus } from '../db/entities/statuses.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import type { Orm } from '../db/orm.js';
import type { EventBus } from '../events/event-bus.js';
import type { SyncProgressEvent } from '../events/progress-event.js';
import type { RedisTransport } from '../events/redis-transport.js';
import type { CommittedBytes } from './committed-bytes.js';

/** Run durations from seconds to hours. */
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600];

/**
 * Per-job metrics, labelled by `job_id` only (plus a small fixed second label), so the series grow
 * with the number of jobs and no further: a deleted job's series are removed at the next scrape
 * (`prune`). Bytes, objects and objects in flight come from the event bus (committed-bytes.ts, as in sync-metrics.ts);
 * run outcomes and durations from the run's row once its final status is committed.
 */
export function createJobMetrics(registry: Registry, bus: EventBus, progress: CommittedBytes, orm: Orm, redis?: Pick<RedisTransport, 'droppedPublishes'>) {
  const registers = [registry];

  const bytes = new Counter({
    name: 'dss_job_bytes_downloaded_total',
    help: 'Object bytes committed to checkpoints, by job (a resumed object counts from 0)',
    labelNames: ['job_id'] as const,
    registers,
  });
  const objects = new Counter({
    name: 'dss_job_objects_total',
    help: 'Objects finished, by job and result (done, failed, skipped; deleted: moved to the trash by mirror deletes)',
    labelNames: ['job_id', 'result'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'dss_job_runs_total',
    help: 'Runs that reached a final status, by job and status (SKIPPED: each due time or trigger that found the job\'s run still going)',
    labelNames: ['job_id', 'status'] as const,
    registers,
  });
  const durations = new Histogram({
    name: 'dss_job_run_duration_seconds',
    help: 'Run duration from start to final status (a resumed run includes the time it was stopped), by job',
    labelNames: ['job_id'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: 'dss_sync_retries_total',
    help: 'S3 calls retried, by job and cause (throttled, server_error, timeout, connection, truncated_body, other)',
    labelNames: ['job_id', 'cause'] as const,
    registers,
  });
  const webhooks = new Counter({
    name: 'dss_webhook_deliveries_total',
    help: 'Webhook attempts recorded, by job and outcome (delivered, retrying, failed)',
    labelNames: ['job_id', 'outcome'] as const,
    registers,
  });
  const inFlight = new Gauge({
    name: 'dss_job_objects_in_flight',
    help: 'Objects being downloaded (from their first committed chunk to their end), by job',
    labelNames: ['job_id'] as const,
    registers,
    collect() {
      inFlight.reset();
      for (const jobId of progress.inFlightJobs()) inFlight.inc({ job_id: jobId });
    },
  });
  new Gauge({
    name: 'dss_subscribers',
    help: 'Live syncProgress subscriptions on this process',
    registers,
    collect() {
      this.set(bus.subscriberStats().subscribers);
    },
  });
  new Gauge({
    name: 'dss_subscriber_events_dropped',
    help: 'CHUNK events dropped or coalesced for slow subscribers since start (never OBJECT_* or RUN_*)',
    registers,
    collect() {
      this.set(bus.subscriberStats().droppedEvents);
    },
  });
  if (redis) {
    new Gauge({
      name: 'dss_redis_publishes_dropped',
      help: 'PUBLISHes of progress events to Redis dropped since start: Redis did not answer (each event is published on its job channel and on the all-jobs one)',
      registers,
      collect() {
        this.set(redis.droppedPublishes());
      },
    });
  }
  new Gauge({
    name: 'dss_database_clock_offset_seconds',
    help: "The database's clock less this host's, as last measured (0 on SQLite); leases, claims and schedules follow the database's",
    registers,
    collect() {
      this.set(databaseClockOffsetMs(orm) / 1000);
    },
  });
  const perJob = [bytes, objects, runs, durations, retries, webhooks];

  function onEvent(event: SyncProgressEvent, grown: number): void {
    const job_id = event.jobId;
    if (event.kind === 'CHUNK') {
      if (grown > 0) bytes.inc({ job_id }, grown);
    } else if (event.kind === 'OBJECT_DONE' || event.kind === 'OBJECT_FAILED' || event.kind === 'OBJECT_SKIPPED') {
      objects.inc({ job_id, result: event.kind.slice('OBJECT_'.length).toLowerCase() });
    } else if (event.kind === 'OBJECT_DELETED') {
      objects.inc({ job_id, result: 'deleted' });
    }
  }
  const unlisten = progress.on(onEvent);

  return {
    async runFinished({ jobId, runId, status }: { jobId: string; runId: number; status: RunStatus }): Promise<void> {
      runs.inc({ job_id: jobId, status });
      const run = await orm.em.fork().findOne(SyncRun, { id: runId }, { fields: ['startedAt', 'finishedAt'] });
      if (run?.startedAt && run.finishedAt) {
        durations.observe({ job_id: jobId }, Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
      }
    },
    runSkipped(jobId: string): void {
      runs.inc({ job_id: jobId, status: 'SKIPPED' });
    },
    retry(jobId: string, cause: string): void {
      retries.inc({ job_id: jobId, cause });
    },
    webhookOutcome(jobId: string, outcome: string): void {
      webhooks.inc({ job_id: jobId, outcome });
    },
    /** Removes the series of jobs that no longer exist (called before each scrape). */
    async prune(): Promise<void> {
      const live = new Set((await orm.em.fork().find(Job, {}, { fields: ['id'] })).map((job) => job.id));
      for (const metric of perJob) {
        const gone = new Map<string, Record<string, string | number>>();
        for (const { labels } of (await metric.get()).values) {
          if (labels.job_id === undefined || live.has(String(labels.job_id))) continue;
          // A histogram's bucket series carry `le`; the series itself is named without it.
          const series: Record<string, string | number> = { ...labels };
          delete series.le;
          gone.set(JSON.stringify(series), series);
        }
        for (const series of gone.values()) metric.remove(series);
      }
    },
    stop: unlisten,
  };
}

export type JobMetrics = ReturnType<typeof createJobMetrics>;
