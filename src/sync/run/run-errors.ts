/**
 * The run cannot go on for a reason on this host (the download folder cannot be created or locked,
 * the listing cannot be recorded), not an S3 one: the run ends FAILED with this message as is.
 */
export class LocalRunError extends Error {
  override name = 'LocalRunError';
}

/** The `error` of the RUN_FINISHED a run sends when its job was deleted under it (no row is left to record it). */
export const JOB_DELETED = 'job deleted during the run';
