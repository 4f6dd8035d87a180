import type { Logger } from '../config/logger.js';
import { removeJobFiles } from '../sync/local/job-files.js';
import { InputError } from './errors.js';

export interface DeleteOptions {
  /** Also remove the job's downloaded files (the whole `<root>/<job_id>/` folder); must be a boolean. */
  purgeFiles?: unknown;
  /** How the option is named in the caller's API (`purgeFiles`, REST `purge_files`). */
  purgeField?: string;
}

/** Reads the purge option (absent or null: false); anything but a boolean is refused naming the field. */
export function parsePurgeFiles({ purgeFiles, purgeField = 'purgeFiles' }: DeleteOptions): boolean {
  if (purgeFiles === undefined || purgeFiles === null) return false;
  if (typeof purgeFiles !== 'boolean') throw new InputError(purgeField, `${purgeField} must be true or false`);
  return purgeFiles;
}

/**
 * After a job's rows are gone and its sync has stopped: removes its partial downloads, and its
 * downloaded files too when `purge`. The job is deleted whatever happens here; a failure is logged.
 */
export async function cleanUpDeletedJobFiles(
  deps: { downloadRoot?: string; logger?: Logger },
  jobIds: readonly string[],
  purge: boolean,
): Promise<void> {
  const { downloadRoot } = deps;
  if (downloadRoot === undefined) return;
  for (const jobId of jobIds) {
    await removeJobFiles(downloadRoot, jobId, purge).catch((err: unknown) =>
      deps.logger?.warn({ err, jobId, purge }, 'could not remove the files of a deleted job'),
    );
  }
}
