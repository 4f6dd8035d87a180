import { constants } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/* What job-folder.ts and tree-removal.ts share to reach folders through descriptors, never through a link. */

export const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY } = constants;
/** open(2) of a folder that fails (ELOOP) when the folder is a symbolic link, ENOTDIR when it is a file. */
export const FOLDER_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/**
 * Linux names each open descriptor here; a path through `/proc/self/fd/<fd>/` starts at the folder
 * the descriptor holds, whatever has been renamed or linked since it was opened.
 */
export const DESCRIPTOR_FOLDER = '/proc/self/fd';

/** The folders from `root` (excluded) down to `dir`; throws ELOOP when `dir` is not beneath `root`. */
export function relativeParts(root: string, dir: string): string[] {
  const rel = relative(root, dir);
  if (rel === '') return [];
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw linkError(dir);
  return rel.split(sep);
}

/** The error with the path the user knows in place of the descriptor's (`reached`, or a path below it). */
export function named(error: unknown, reached: string, path: string): unknown {
  if (!(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  e.message = e.message.replaceAll(reached, path);
  if (e.path?.startsWith(reached)) e.path = path + e.path.slice(reached.length);
  if (e.dest?.startsWith(reached)) e.dest = path + e.dest.slice(reached.length);
  return e;
}

/** ELOOP, as open(2) of a link with O_NOFOLLOW answers, naming the path. */
export function linkError(path: string): Error {
  return Object.assign(new Error(`${path} is a symbolic link`), { code: 'ELOOP' });
}
