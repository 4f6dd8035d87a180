import type { Logger } from '../config/logger.js';

export interface RequestLogLine {
  method: string;
  /** The matched route pattern (`/api/v1/jobs/:job_id/objects`), or the raw path when nothing matched. */
  route: string;
  status: number;
  durationMs: number;
  level: 'info' | 'debug';
}

/** One JSON line per request. Headers are never logged, so no token can reach the log. */
export function logRequest(logger: Logger, { level, ...fields }: RequestLogLine): void {
  const line = { ...fields, durationMs: Math.round(fields.durationMs * 1000) / 1000 };
  // 503 is the database down, restarting or (SQLite) locked by another process: worth a warning, not an error per request.
  if (fields.status === 503) logger.warn(line, 'request');
  else if (fields.status >= 500) logger.error(line, 'request');
  else logger[level](line, 'request');
}
