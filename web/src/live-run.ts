import type { DashboardProgressSubscription, RunFieldsFragment } from '../generated/graphql.js';

type ProgressEvent = DashboardProgressSubscription['syncProgress'];

export interface InFlight {
  key: string;
  bytes: number;
  size: number;
}

export interface Failure {
  key: string;
  error: string;
  at: string;
}

/**
 * What the live panel shows for one run: the run row as last read (`base`), plus what the events
 * told since. Events carry each object's absolute committed bytes, so coalesced CHUNK events (the
 * service drops intermediate ones for a slow subscriber) lose nothing: only the newest value counts.
 */
export interface LiveRun {
  runId: string;
  base: RunFieldsFragment | null;
  /** Bytes the events reported since `base` was read. */
  sinceBase: number;
  objectsSinceBase: number;
  /** Last committed bytes seen per object. */
  seen: Map<string, number>;
  inFlight: Map<string, InFlight>;
  failures: Failure[];
  /** (time, cumulative bytes from events) for the throughput over the last seconds. */
  samples: Array<{ t: number; bytes: number }>;
  transferred: number;
  finished: { status: string; error: string | null } | null;
  /** Never shown going backwards. */
  shownBytes: number;
}

export const newLiveRun = (runId: string, base: RunFieldsFragment | null = null): LiveRun => ({
  runId,
  base,
  sinceBase: 0,
  objectsSinceBase: 0,
  seen: new Map(),
  inFlight: new Map(),
  failures: [],
  samples: [],
  transferred: 0,
  finished: base && base.status !== 'RUNNING' ? { status: base.status, error: base.error ?? null } : null,
  shownBytes: base?.bytesDone ?? 0,
});

const WINDOW_MS = 5_000;

/** Applies one event of this run (mutates and returns `run`; callers re-render with a copy). */
export function applyEvent(run: LiveRun, event: ProgressEvent, now = Date.now()): LiveRun {
  const key = event.objectKey ?? '';
  const advance = (bytes: number) => {
    const delta = bytes - (run.seen.get(key) ?? 0);
    if (delta <= 0) return;
    run.seen.set(key, bytes);
    run.sinceBase += delta;
    run.transferred += delta;
  };
  switch (event.kind) {
    case 'CHUNK':
      advance(event.bytesTransferred);
      run.inFlight.set(key, { key, bytes: event.bytesTransferred, size: event.objectSize ?? 0 });
      break;
    case 'OBJECT_DONE':
    case 'OBJECT_SKIPPED':
      advance(event.objectSize ?? event.bytesTransferred);
      run.inFlight.delete(key);
      run.seen.delete(key);
      run.objectsSinceBase += 1;
      break;
    case 'OBJECT_FAILED':
      run.sinceBase -= run.seen.get(key) ?? 0;
      run.inFlight.delete(key);
      run.seen.delete(key);
      run.failures.push({ key, error: event.error ?? 'failed', at: event.at });
      break;
    case 'RUN_FINISHED':
      run.finished = { status: event.runStatus ?? 'FINISHED', error: event.error ?? null };
      run.inFlight.clear();
      break;
    default:
      break;
  }
  run.samples.push({ t: now, bytes: run.transferred });
  while (run.samples.length > 2 && run.samples[0]!.t < now - WINDOW_MS) run.samples.shift();
  run.shownBytes = Math.max(run.shownBytes, overallBytes(run));
  return run;
}

/** A fresh read of the run row: it includes everything committed so far. */
export function rebase(run: LiveRun, base: RunFieldsFragment): LiveRun {
  run.base = base;
  run.sinceBase = 0;
  run.objectsSinceBase = 0;
  if (base.status !== 'RUNNING') {
    run.finished ??= { status: base.status, error: base.error ?? null };
    run.inFlight.clear();
  }
  run.shownBytes = run.finished ? base.bytesDone : Math.max(run.shownBytes, overallBytes(run));
  return run;
}

function overallBytes(run: LiveRun): number {
  const base = run.base?.bytesDone ?? 0;
  const total = run.base?.bytesTotal ?? Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(total, base + run.sinceBase));
}

export interface Overview {
  bytesDone: number;
  bytesTotal: number;
  objectsDone: number;
  objectsTotal: number;
  /** Bytes per second over the last seconds; null before two samples. */
  rate: number | null;
  /** Milliseconds left at that rate; null when unknown. */
  etaMs: number | null;
}

export function overview(run: LiveRun, now = Date.now()): Overview {
  const bytesTotal = Math.max(run.base?.bytesTotal ?? 0, run.shownBytes);
  const objectsTotal = run.base?.objectsTotal ?? 0;
  const objectsDone = Math.min(objectsTotal || Number.POSITIVE_INFINITY, (run.base?.objectsDone ?? 0) + run.objectsSinceBase);
  const first = run.samples[0];
  const last = run.samples.at(-1);
  const span = first && last ? Math.max(last.t, now) - first.t : 0;
  const rate = first && last && span >= 500 && !run.finished ? (last.bytes - first.bytes) / (span / 1000) : null;
  const left = bytesTotal - run.shownBytes;
  const etaMs = rate && rate > 0 && !run.finished ? (1000 * left) / rate : null;
  return { bytesDone: run.shownBytes, bytesTotal, objectsDone, objectsTotal, rate, etaMs };
}
