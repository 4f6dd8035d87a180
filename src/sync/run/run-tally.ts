import type { RunStatus } from '../../db/entities/statuses.js';
import type { ListedCounters } from '../checkpoint/listing-checkpoint.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import type { RunCounters } from './run-progress.js';

/**
 * A run's counters and what went wrong in it, and from them the status and error it ends with. The
 * counters object is shared by reference with the progress writer and the shared-run count.
 */
export function createRunTally() {
  const counters: RunCounters = { objectsTotal: 0, objectsDone: 0, objectsFailed: 0, objectsSkipped: 0, bytesTotal: 0, bytesDone: 0 };
  let firstFailure: string | null = null;
  let listingError: string | null = null;
  let internalError: string | null = null;

  return {
    counters,
    /** An object of the listing entered the run. */
    listed(remote: RemoteObject) {
      counters.objectsTotal += 1;
      counters.bytesTotal += remote.size;
    },
    /** Unchanged since the last run, its file in place: done without a row write. */
    unchanged(remote: RemoteObject) {
      counters.objectsDone += 1;
      counters.objectsSkipped += 1;
      counters.bytesDone += remote.size;
    },
    done(remote: RemoteObject, status: 'PROCESSED' | 'SKIPPED') {
      counters.objectsDone += 1;
      counters.bytesDone += remote.size;
      if (status === 'SKIPPED') counters.objectsSkipped += 1;
    },
    failed(remote: RemoteObject, error: string) {
      counters.objectsFailed += 1;
      firstFailure ??= `${remote.key}: ${error}`;
    },
    /** An object changed at the source mid-run and has a new size. */
    resized(bytes: number) {
      counters.bytesTotal += bytes;
    },
    /** A resumed run starts from what its rows say about the objects it listed before. */
    resume({ firstFailure: failedBefore, ...before }: ListedCounters) {
      firstFailure = failedBefore;
      Object.assign(counters, before);
    },
    /** After a shared run's counts were read from its rows (shared-run.ts). */
    sharedFirstFailure(first: string | null) {
      firstFailure = first ?? firstFailure;
    },
    listingFailed(message: string) {
      listingError = message;
    },
    /** A failure of this process (database, a task that threw): the first one is the run's error. */
    internalFailure(message: string) {
      internalError ??= message;
    },
    get listingFailedAlready(): boolean {
      return listingError !== null;
    },
    /** Listing and bookkeeping went through: the listing is a true picture of the source. */
    get clean(): boolean {
      return !listingError && !internalError;
    },
    /** `deletesError`: mirror deletes refused (DELETES_BLOCKED) or could not move files. */
    outcome(aborted: boolean, deletesError: string | null): { status: RunStatus; error: string | null } {
      const status: RunStatus = aborted
        ? 'CANCELLED'
        : listingError || internalError || deletesError || counters.objectsFailed > 0
          ? 'FAILED'
          : 'SUCCEEDED';
      const error =
        listingError ??
        internalError ??
        deletesError ??
        (counters.objectsFailed > 0 ? `${counters.objectsFailed} object(s) failed; first: ${firstFailure}` : null);
      return { status, error };
    },
  };
}

export type RunTally = ReturnType<typeof createRunTally>;
