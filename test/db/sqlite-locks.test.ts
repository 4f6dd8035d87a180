import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initOrm } from '../../src/db/orm.js';
import { onPostgres } from '../helpers/db-url.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another process opens the database, reads, and closes it: `npm run sync`, a sqlite3 shell, a backup. */
function openAndCloseElsewhere(file: string): void {
  const script = `const D = require(${JSON.stringify(betterSqlite)}); const d = new D(${JSON.stringify(file)}); d.prepare('select count(*) from jobs').get(); d.close();`;
  const other = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(other.status, other.stderr).toBe(0);
}

describe.skipIf(onPostgres)('SQLite locks held by the service', () => {
  it("the database opened a second time in the process (the engine thread) keeps the first connection's locks: another process closing it leaves the live WAL", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-locks-'));
    const file = join(dir, 'scheduler.db');
    const service = await initOrm(`sqlite:${file}`);
    const engineThread = await initOrm(`sqlite:${file}`);
    try {
      expect(existsSync(`${file}-wal`)).toBe(true);
      openAndCloseElsewhere(file);
      // The last connection to close checkpoints and removes the WAL: with the service's locks lost,
      // the other process took itself for the last one while the service still wrote to that WAL.
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(existsSync(`${file}-shm`)).toBe(true);
    } finally {
      await engineThread.close(true);
      await service.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
