import { opendir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { JOB_ID_PATTERN } from '../../db/entities/job.entity.js';
import { removeTree } from './tree-removal.js';
import { PARTIAL_DIR } from './safe-path.js';

/**
 * `<root>/<job_id>`, checked to be a direct child of the download root: a job id is a UUID, so no
 * id can name another folder.
 */
export function jobFolder(downloadRoot: string, jobId: string): string {
  if (!JOB_ID_PATTERN.test(jobId)) throw new Error(`not a job id: ${JSON.stringify(jobId)}`);
  const root = resolve(downloadRoot);
  const folder = join(root, jobId);
  if (dirname(folder) !== root || basename(folder) !== jobId) throw new Error(`job folder outside the download root: ${folder}`);
  return folder;
}

/**
 * Removes a deleted job's files: always its partial downloads (`.dss-partial/`, and the job folder
 * when it holds no file, only folders its unfinished downloads made), and with `purge` the whole job
 * folder (its downloaded files). Symbolic links are removed, never followed, even one swapped in
 * while the removal runs (see `removeTree`), so nothing outside the job folder is touched. Call once
 * the job's sync has stopped.
 */
export async function removeJobFiles(downloadRoot: string, jobId: string, purge: boolean): Promise<void> {
  const folder = jobFolder(downloadRoot, jobId);
  await removeTree(dirname(folder), purge ? folder : join(folder, PARTIAL_DIR));
  // A job that never downloaded a file leaves no folder behind; a folder with files (or links) stays.
  if (!purge && !(await holdsAnyFile(folder))) await removeTree(dirname(folder), folder);
}

/** Whether anything but a folder is in `folder` or beneath it (a link counts, and is not followed); stops at the first. */
async function holdsAnyFile(folder: string): Promise<boolean> {
  const pending = [folder];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let entries;
    try {
      entries = await opendir(dir);
    } catch (error) {
      // Gone already: nothing there. Anything else (not a folder, no access): keep it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return true;
    }
    // Leaving the loop early closes the folder.
    for await (const entry of entries) {
      if (!entry.isDirectory()) return true;
      pending.push(join(dir, entry.name));
    }
  }
  return false;
}
