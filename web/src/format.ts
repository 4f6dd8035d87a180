const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB" (binary units, as the service's sizes). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;

/** 83_000 → "1 min 23 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "3 min ago" / "in 5 min", relative to now. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const diff = new Date(iso).getTime() - now;
  const text = formatDuration(Math.abs(diff)).replace(/ \d+ (s|min)$/, '');
  if (Math.abs(diff) < 1000) return 'now';
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

export const formatDateTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '–');

export function runDuration(startedAt: string | null | undefined, finishedAt: string | null | undefined, now = Date.now()): number | null {
  if (!startedAt) return null;
  return (finishedAt ? new Date(finishedAt).getTime() : now) - new Date(startedAt).getTime();
}

export const percent = (done: number, total: number): number => (total > 0 ? Math.min(100, (100 * done) / total) : 0);
