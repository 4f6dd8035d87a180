import { useEffect, useRef, useState } from 'preact/hooks';
import { DashboardLatestRunDocument, type RunFieldsFragment } from '../../generated/graphql.js';
import { request } from '../api/client.js';
import { subscribeProgress, type ProgressEvent } from '../api/live.js';
import { formatBytes, formatDuration, formatRate, percent } from '../format.js';
import { useLiveState, useRedrawEvery, useThrottled } from '../hooks.js';
import { applyEvent, newLiveRun, overview, rebase, type CommittedObject, type LiveRun } from '../live-run.js';
import { visible } from '../text.js';
import { ProgressBar } from './progress-bar.js';
import { Status } from './status.js';

const SHOWN_IN_FLIGHT = 12;

interface Props {
  jobId: string;
  /** The newest run as the page loaded it. */
  latest: RunFieldsFragment | null;
  /** The objects in flight, read with `latest`. */
  inProgress: CommittedObject[];
  /** A run started or ended: the page reloads its runs and objects. */
  onRunChange(): void;
  /** An object finished or failed (the page refreshes its tables, throttled). */
  onObjectChange(): void;
  /** The service ended the job's stream: the job was deleted. */
  onJobGone(): void;
}

/** The job's current run as it happens, from syncProgress (and the run row, re-read when events say it moved). */
export function LivePanel({ jobId, latest, inProgress, onRunChange, onObjectChange, onJobGone }: Props) {
  const live = useRef<LiveRun | null>(latest ? newLiveRun(latest.id, latest, inProgress) : null);
  const [, setVersion] = useState(0);
  const redraw = () => setVersion((v) => v + 1);
  const changed = useRef(onRunChange);
  changed.current = onRunChange;
  const objectChanged = useRef(onObjectChange);
  objectChanged.current = onObjectChange;
  const gone = useRef(onJobGone);
  gone.current = onJobGone;

  const readRow = async () => {
    const answer = await request(DashboardLatestRunDocument, { jobId }).catch(() => null);
    const row = answer?.job?.lastRun;
    if (!answer || !row) return;
    const objects = answer.inProgress.edges.map((edge) => edge.node);
    if (!live.current || live.current.runId !== row.id) live.current = newLiveRun(row.id, row, objects);
    else rebase(live.current, row, objects);
    redraw();
  };
  const readRowSoon = useThrottled(() => void readRow(), 1_000);
  const liveState = useLiveState(() => {
    void readRow();
    changed.current();
  });

  useEffect(() => {
    live.current = latest ? newLiveRun(latest.id, latest, inProgress) : null;
    redraw();
    // Only a different job resets the panel; later page reloads do not.
  }, [jobId]);

  useEffect(
    () =>
      subscribeProgress(jobId, (event: ProgressEvent) => {
        if (!event.runId) return;
        if (!live.current || live.current.runId !== event.runId) {
          live.current = newLiveRun(event.runId);
          changed.current();
        }
        applyEvent(live.current, event);
        if (event.kind === 'RUN_FINISHED') {
          changed.current();
          void readRow();
        } else readRowSoon();
        if (event.kind === 'OBJECT_DONE' || event.kind === 'OBJECT_FAILED' || event.kind === 'OBJECT_SKIPPED') objectChanged.current();
        redraw();
      }, () => gone.current()),
    [jobId],
  );

  const run = live.current;
  return (
    <section class="live" aria-labelledby="live-title">
      <h2 id="live-title">
        Live <span class={`live-state live-${liveState}`}>{LIVE_LABELS[liveState]}</span>
      </h2>
      {!run && <p>No run yet. Trigger one to watch it here.</p>}
      {run && <RunProgress run={run} />}
    </section>
  );
}

const LIVE_LABELS = { connecting: 'connecting…', live: 'connected', reconnecting: 'reconnecting…', refused: 'refused (token?)' } as const;

function RunProgress({ run }: { run: LiveRun }) {
  // Between events the throughput and ETA still age (a stalled transfer falls to 0 B/s).
  useRedrawEvery(1_000, !run.finished);
  const o = overview(run);
  const inFlight = [...run.inFlight.values()];
  return (
    <div class="run-progress">
      <p>
        Run #{run.runId}: <Status value={run.finished?.status ?? run.base?.status ?? 'RUNNING'} />
      </p>
      {o.bytesTotal === null ? (
        <p class="progress-text" data-testid="overall-pending">
          {formatBytes(o.bytesDone)} done, total not known yet
        </p>
      ) : (
        <>
          <label for="overall-progress">Overall (bytes done / total)</label>
          <ProgressBar id="overall-progress" done={o.bytesDone} total={o.bytesTotal} label="Overall progress, bytes done of total" />
        </>
      )}
      <dl class="stats">
        <div>
          <dt>Objects</dt>
          <dd>
            {o.objectsDone} / {o.objectsTotal ?? '–'}
          </dd>
        </div>
        {!run.finished && (
          <>
            <div>
              <dt>Throughput</dt>
              <dd data-testid="throughput">{o.rate === null ? '–' : formatRate(o.rate)}</dd>
            </div>
            <div>
              <dt>ETA</dt>
              <dd data-testid="eta">{o.etaMs === null ? '–' : `ETA ${formatDuration(o.etaMs)}`}</dd>
            </div>
          </>
        )}
      </dl>
      {run.finished && (
        <p class={`run-end run-end-${run.finished.status.toLowerCase()}`} role="status">
          Run finished: {run.finished.status}
          {run.finished.error ? ` (${visible(run.finished.error)})` : ''}
        </p>
      )}
      {inFlight.length > 0 && (
        <>
          <h3>In flight</h3>
          <ul class="in-flight">
            {inFlight.slice(0, SHOWN_IN_FLIGHT).map((object) => (
              <li key={object.key}>
                <span class="mono key">{visible(object.key)}</span>
                <progress value={object.bytes} max={Math.max(object.size, 1)} aria-label={`${visible(object.key)}: bytes done`} />
                <span class="sub">
                  {formatBytes(object.bytes)} / {formatBytes(object.size)} ({percent(object.bytes, object.size).toFixed(0)}%)
                </span>
              </li>
            ))}
          </ul>
          {inFlight.length > SHOWN_IN_FLIGHT && <p class="sub">and {inFlight.length - SHOWN_IN_FLIGHT} more</p>}
        </>
      )}
      {run.failures.length > 0 && (
        <>
          <h3>Failures</h3>
          <ul class="failures" role="log" aria-live="polite">
            {run.failures.map((f) => (
              <li key={`${f.key}-${f.at}`}>
                <span class="mono">{visible(f.key)}</span>: {visible(f.error)}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
