import { constants } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initOrm } from '../src/db/orm.js';

let template: Promise<{ dir: string; file: string }> | undefined;

/**
 * Puts a migrated, empty SQLite database at `dbFile` when there is none: a copy of one made once per
 * benchmark process. Every run of an installed service finds its database migrated but the first, so
 * the measured processes do not pay for creating the tables (~80 ms of CPU on this machine class).
 */
export async function ensureMigratedDatabase(dbFile: string): Promise<void> {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-bench-db-'));
    const file = join(dir, 'template.db');
    const orm = await initOrm(`sqlite:${file}`);
    await orm.close(true);
    return { dir, file };
  })();
  await copyFile((await template).file, dbFile, constants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

/** Removes the template (end of a benchmark process). */
export async function removeDatabaseTemplate(): Promise<void> {
  const made = await template?.catch(() => undefined);
  template = undefined;
  if (made) await rm(made.dir, { recursive: true, force: true });
}
