import { lstatSync, opendirSync, rmdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { PathTakenError } from '../local/failure-reason.js';
import type { JobFolder } from '../local/job-folder.js';

/** What judging a folder in a file's place needs of the run. */
export interface MarkerFolderContext {
  folder: JobFolder;
  store: Pick<CheckpointStore, 'load'>;
}

/**
 * An object `k` beside a folder marker `k/`: the file wins, as with aws s3 sync and rclone. A folder
 * in the file's place yields to it only when it is empty and the job has the marker `k/` (the folder
 * was made for it). Returns null then, or when no folder is there; otherwise why the file cannot go
 * there. Reaches the path without following a link.
 */
export async function folderInTheWay(ctx: MarkerFolderContext, key: string, path: string): Promise<string | null> {
  const entry = ctx.folder.at(path, firstEntryOfFolder);
  if (entry === undefined) return null;
  if (entry !== null) {
    const below = relative(ctx.folder.root, join(path, entry));
    return `the local path is a folder holding ${below} (another key's file or someone else's); the object's file cannot replace it`;
  }
  const markerKey = `${key}/`;
  const marker = (await ctx.store.load([markerKey])).get(markerKey);
  if (marker && marker.status !== 'DELETED') return null;
  return `the local path is an empty folder not made for a folder marker ${markerKey}; remove it to sync the object`;
}

/**
 * Removes the empty folder made for the marker `<key>/` where the object's file goes (rmdir: never a
 * folder holding anything); throws a PathTakenError saying why when the folder stays.
 */
export async function clearMarkerFolder(ctx: MarkerFolderContext, key: string, path: string): Promise<void> {
  const reason = await folderInTheWay(ctx, key, path);
  if (reason) throw new PathTakenError(reason);
  try {
    ctx.folder.at(path, (reached) => rmdirSync(reached));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // Something was put in it since it was looked at.
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new PathTakenError((await folderInTheWay(ctx, key, path)) ?? 'the local path is a folder that is not empty');
    throw error;
  }
}

/** undefined: no folder there (nothing, a file or a link); null: an empty folder; else the name of one entry. */
function firstEntryOfFolder(path: string): string | null | undefined {
  if (!lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const entries = opendirSync(path);
  try {
    return entries.readSync()?.name ?? null;
  } finally {
    entries.closeSync();
  }
}
