import { mkdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import type { TransferContext } from './transfer-context.js';

/** mkdir -p, once per directory per run. */
export async function ensureDir(ctx: Pick<TransferContext, 'createdDirs'>, dir: string): Promise<void> {
  if (ctx.createdDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  ctx.createdDirs.add(dir);
}

/** Moves a verified file into place (atomic on one file system) with the object's time as mtime. */
export async function publishFile(partialPath: string, finalPath: string, lastModified: Date | null): Promise<void> {
  await rename(partialPath, finalPath);
  if (lastModified) await utimes(finalPath, lastModified, lastModified);
}

export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Local state of an unchanged object: present with the right size (or a directory for markers). */
export async function isPresent(path: string, size: number, isDirectory: boolean): Promise<boolean> {
  try {
    const info = await stat(path);
    return isDirectory ? info.isDirectory() : info.isFile() && info.size === size;
  } catch {
    return false;
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
