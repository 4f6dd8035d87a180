import { rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { removeTree } from './tree-removal.js';
import { PARTIAL_DIR } from './safe-path.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `<root>/<job_id>`, checked to be a direct child of the download root: a job id is a UUID, so no
 * id can name another folder.
 */
export function jobFolder(downloadRoot: string, jobId: string): string {
  if (!UUID.test(jobId)) throw new Error(`not a job id: ${JSON.stringify(jobId)}`);
  const root = resolve(downloadRoot);
  const folder = join(root, jobId);
  if (dirname(folder) !== root || basename(folder) !== jobId) throw new Error(`job folder outside the download root: ${folder}`);
  return folder;
}

/**
 * Removes a deleted job's files: always its partial downloads (`.dss-partial/`, and the job folder
 * when nothing else is in it), and with `purge` the whole job folder (its downloaded files). Symbolic links are removed, never followed,
 * even one swapped in while the removal runs (see `removeTree`), so nothing outside the job folder is touched. Call once the job's
 * sync has stopped.
 */
export async function removeJobFiles(downloadRoot: string, jobId: string, purge: boolean): Promise<void> {
  const folder = jobFolder(downloadRoot, jobId);
  await removeTree(dirname(folder), purge ? folder : join(folder, PARTIAL_DIR));
  // A job that never downloaded a file leaves no empty folder behind; a folder with files stays.
  if (!purge) await rmdir(folder).catch(() => undefined);
}
