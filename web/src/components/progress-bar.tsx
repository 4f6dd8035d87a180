import { formatBytes, percent } from '../format.js';

/** A native <progress> with its values as text beside it (screen readers read both). */
export function ProgressBar({ done, total, label, id }: { done: number; total: number; label: string; id?: string }) {
  const max = Math.max(total, done, 1);
  return (
    <div class="progress">
      <progress id={id} value={done} max={max} aria-label={label} />
      <span class="progress-text">
        {formatBytes(done)} / {formatBytes(total)} ({percent(done, max).toFixed(0)}%)
      </span>
    </div>
  );
}
