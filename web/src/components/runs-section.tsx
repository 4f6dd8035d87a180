import type { DashboardJobQuery } from '../../generated/graphql.js';
import { formatBytes, formatDateTime, formatDuration, runDuration } from '../format.js';
import { visible } from '../text.js';
import { Status } from './status.js';

type RunRow = DashboardJobQuery['runs']['edges'][number]['node'];

/** A job's runs, newest first, with a chart of bytes and duration per run. */
export function RunsSection({ runs, total }: { runs: RunRow[]; total: number }) {
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">
        Runs <span class="count">({total})</span>
      </h2>
      {runs.length === 0 ? (
        <p>No runs yet.</p>
      ) : (
        <>
          <RunsChart runs={runs} />
          <div class="table-wrap">
            <table class="runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Objects</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">Errors</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((run) => (
                  <tr key={run.id}>
                    <td data-label="Run">#{run.id}</td>
                    <td data-label="Status">
                      <Status value={run.status} />
                    </td>
                    <td data-label="Trigger">{run.trigger.toLowerCase().replace(/_/g, ' ')}</td>
                    <td data-label="Started">{formatDateTime(run.startedAt)}</td>
                    <td data-label="Duration">{run.startedAt ? formatDuration(runDuration(run.startedAt, run.finishedAt) ?? 0) : '–'}</td>
                    <td data-label="Objects">
                      {run.objectsDone} / {run.objectsTotal}
                      {run.objectsFailed > 0 && <span class="error-text"> ({run.objectsFailed} failed)</span>}
                    </td>
                    <td data-label="Bytes">
                      {formatBytes(run.bytesDone)} / {formatBytes(run.bytesTotal)}
                    </td>
                    <td data-label="Errors">
                      {run.error && <div class="error-text">{visible(run.error)}</div>}
                      {run.failures.length > 0 && (
                        <ul class="first-errors">
                          {run.failures.map((f) => (
                            <li key={f.key}>
                              <span class="mono">{visible(f.key)}</span>: {visible(f.error ?? '')}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const W = 600;
const H = 160;
const PAD = 28;

/** Bars: bytes done per finished run; dots and line: its duration. Oldest on the left. */
function RunsChart({ runs }: { runs: RunRow[] }) {
  const shown = runs.filter((r) => r.finishedAt && r.startedAt && r.status !== 'SKIPPED').slice(0, 30).reverse();
  if (shown.length === 0) return null;
  const maxBytes = Math.max(1, ...shown.map((r) => r.bytesDone));
  const durations = shown.map((r) => runDuration(r.startedAt, r.finishedAt) ?? 0);
  const maxDuration = Math.max(1, ...durations);
  const slot = (W - 2 * PAD) / shown.length;
  const y = (fraction: number) => H - PAD - fraction * (H - 2 * PAD);
  const points = durations.map((d, i) => `${PAD + slot * (i + 0.5)},${y(d / maxDuration)}`).join(' ');
  const summary = `Bytes and duration of the last ${shown.length} runs; largest ${formatBytes(maxBytes)}, longest ${formatDuration(maxDuration)}`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <title>{summary}</title>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} class="axis" />
        {shown.map((r, i) => {
          const top = y(r.bytesDone / maxBytes);
          const width = Math.min(slot * 0.7, 40);
          return (
            <rect key={r.id} class={`bar bar-${r.status.toLowerCase()}`} x={PAD + slot * (i + 0.5) - width / 2} y={top} width={width} height={H - PAD - top}>
              <title>
                Run #{r.id}: {formatBytes(r.bytesDone)} in {formatDuration(durations[i] ?? 0)} ({r.status})
              </title>
            </rect>
          );
        })}
        <polyline points={points} class="duration-line" />
        {durations.map((d, i) => (
          <circle key={i} cx={PAD + slot * (i + 0.5)} cy={y(d / maxDuration)} r={3} class="duration-dot" />
        ))}
        <text x={PAD} y={14} class="legend">
          ▮ bytes (max {formatBytes(maxBytes)})
        </text>
        <text x={W - PAD} y={14} class="legend legend-right" text-anchor="end">
          ● duration (max {formatDuration(maxDuration)})
        </text>
      </svg>
    </figure>
  );
}
