import type { DashboardProgressSubscription, RunFieldsFragment } from '../generated/graphql.js';

type ProgressEvent = DashboardProgressSubscription['syncProgress'];

export interface InFlight {
  key: string;
  bytes: number;
  size: number;
}

/** An object the run row counts as in flight, with its committed bytes (read together with the row). */
export interface CommittedObject {
  key: string;
  size: number;
  lastPosition: number;
  /** The run that last listed or worked on it. */
  runId: string | null;
}

export interface Failure {
  key: string;
  error: string;
  at: string;
}

/**
 * What the live panel shows for one run. Events drive the figures (`anchor` + what they reported
 * since), so the bar moves with each checkpoint; the run row (`base`, re-read now and then) gives
 * the totals and is a floor: work the events do not tell (unchanged objects skipped at listing)
 * raises the anchor. Events carry each object's absolute committed bytes, so coalesced CHUNK events
 * (the service drops intermediate ones for a slow subscriber) lose nothing. The row's bytesDone
 * already holds the committed bytes of the objects in flight, so each adopted row comes with those
 * objects' positions (`seen`): a later event adds only what lies past them.
 */
export interface LiveRun {
  runId: string;
  base: RunFieldsFragment | null;
  anchorBytes: number;
  anchorObjects: number;
  /** Bytes / objects the events reported since the anchor was set. */
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

export const newLiveRun = (runId: string, base: RunFieldsFragment | null = null, inProgress: CommittedObject[] = []): LiveRun => ({
  runId,
  base,
  anchorBytes: base?.bytesDone ?? 0,
  anchorObjects: base?.objectsDone ?? 0,
  sinceBase: 0,
  objectsSinceBase: 0,
  seen: base?.status === 'RUNNING' ? committedPositions(ofRun(runId, inProgress)) : new Map(),
  inFlight: base?.status === 'RUNNING' ? inFlightFrom(ofRun(runId, inProgress), new Map()) : new Map(),
  failures: [],
  samples: [],
  transferred: 0,
  finished: base && base.status !== 'RUNNING' ? { status: base.status, error: base.error ?? null } : null,
  shownBytes: base?.bytesDone ?? 0,
});

/**
 * The objects this run is transferring: a row an earlier, interrupted run left PROCESSING stays so
 * (with that run's id) until this run lists it, which makes it PENDING until its transfer restarts.
 */
const ofRun = (runId: string, objects: CommittedObject[]) => objects.filter((object) => object.runId === runId);

const committedPositions = (objects: CommittedObject[]) => new Map(objects.map((object) => [object.key, object.lastPosition]));

/** The objects the row counts as in flight; one that left them (finished while no event came) goes. */
const inFlightFrom = (objects: CommittedObject[], shown: Map<string, InFlight>) =>
  new Map(objects.map(({ key, size, lastPosition }) => [key, { key, size, bytes: Math.max(lastPosition, shown.get(key)?.bytes ?? 0) }]));

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

/**
 * A fresh read of the run row (with the objects it counts as in flight): new totals, and a floor for
 * what is done. A row ahead of the events is adopted with its objects' positions; otherwise those
 * positions only raise `seen`, as bytes the events missed are not in their count either.
 */
export function rebase(run: LiveRun, base: RunFieldsFragment, rowObjects: CommittedObject[]): LiveRun {
  const inProgress = ofRun(run.runId, rowObjects);
  run.base = base;
  if (base.bytesDone > run.anchorBytes + run.sinceBase) {
    run.anchorBytes = base.bytesDone;
    run.sinceBase = 0;
    run.seen = committedPositions(inProgress);
  } else {
    for (const object of inProgress) run.seen.set(object.key, Math.max(run.seen.get(object.key) ?? 0, object.lastPosition));
  }
  run.inFlight = inFlightFrom(inProgress, run.inFlight);
  if (base.objectsDone > run.anchorObjects + run.objectsSinceBase) {
    run.anchorObjects = base.objectsDone;
    run.objectsSinceBase = 0;
  }
  if (base.status !== 'RUNNING') {
    run.finished ??= { status: base.status, error: base.error ?? null };
    run.inFlight.clear();
  }
  run.shownBytes = run.finished ? base.bytesDone : Math.max(run.shownBytes, overallBytes(run));
  return run;
}

function overallBytes(run: LiveRun): number {
  const total = run.base?.bytesTotal ?? Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(total, run.anchorBytes + run.sinceBase));
}

export interface Overview {
  bytesDone: number;
  /** null until the run row (the totals) arrived: the events alone cannot say how much is left. */
  bytesTotal: number | null;
  objectsDone: number;
  /** null until the run row (the totals) arrived. */
  objectsTotal: number | null;
  /** Bytes per second over the last 5 s before now (0 when no event came in them); null before 500 ms of events. */
  rate: number | null;
  /** Milliseconds left at that rate; null when unknown (no rate, or no row with a byte total yet). */
  etaMs: number | null;
}

export function overview(run: LiveRun, now = Date.now()): Overview {
  const bytesTotal = run.base ? Math.max(run.base.bytesTotal, run.shownBytes) : null;
  const objectsTotal = run.base?.objectsTotal ?? null;
  const counted = run.finished && run.base ? run.base.objectsDone : run.anchorObjects + run.objectsSinceBase;
  const objectsDone = Math.min(objectsTotal || Number.POSITIVE_INFINITY, counted);
  // Only the window before `now` counts: when events stop (a stalled transfer) the rate falls to 0.
  const recent = run.samples.filter((sample) => sample.t >= now - WINDOW_MS);
  const first = recent[0];
  const last = recent.at(-1);
  const span = first && last ? Math.max(last.t, now) - first.t : 0;
  const stalled = run.samples.length > 0 && recent.length === 0;
  const rate = run.finished ? null : stalled ? 0 : first && last && span >= 500 ? (last.bytes - first.bytes) / (span / 1000) : null;
  // A row whose listing has not counted a byte yet knows no total either.
  const etaMs = rate && rate > 0 && !run.finished && bytesTotal !== null && run.base?.bytesTotal ? (1000 * (bytesTotal - run.shownBytes)) / rate : null;
  return { bytesDone: run.shownBytes, bytesTotal, objectsDone, objectsTotal, rate, etaMs };
}
