import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/config/logger.js';
import { migratedDbUrl } from '../helpers/db-url.js';
import { initOrm, type Orm } from '../../src/db/orm.js';

export const silentLogger = createLogger('silent');

/** A fresh database (SQLite file, or PostgreSQL database in that pass) with the real migrations; `reopen` opens the same file again (a restarted process). */
export async function openTestDb() {
  const dir = mkdtempSync(join(tmpdir(), 'scheduler-test-'));
  const url = await migratedDbUrl(dir, 'db.sqlite');
  const opened: Orm[] = [];
  const open = async () => {
    const orm = await initOrm(url);
    opened.push(orm);
    return orm;
  };
  const orm = await open();
  return {
    orm,
    dir,
    reopen: open,
    async [Symbol.asyncDispose]() {
      for (const o of opened) await o.close(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
