import type { ObjectStatus, RunStatus } from '../db/entities/statuses.js';

export const PROGRESS_KINDS = [
  'RUN_STARTED',
  'CHUNK',
  'OBJECT_DONE',
  'OBJECT_FAILED',
  'OBJECT_SKIPPED',
  'RUN_FINISHED',
  /** Mirror deletes moved the object's local file to the run's trash folder. */
  'OBJECT_DELETED',
] as const;
export type ProgressKind = (typeof PROGRESS_KINDS)[number];

/** One step of a sync run, as published on the event bus and sent to `syncProgress` subscribers. */
export interface SyncProgressEvent {
  kind: ProgressKind;
  jobId: string;
  runId: string | null;
  objectKey: string | null;
  /** For CHUNK/OBJECT_*: bytes of the object committed so far; for RUN_*: bytes done in the run. */
  bytesTransferred: number;
  objectSize: number | null;
  status: ObjectStatus | null;
  /** Set on RUN_FINISHED. */
  runStatus?: RunStatus | null;
  /** Set on OBJECT_FAILED and on a failed RUN_FINISHED. */
  error?: string | null;
  at: Date;
}
