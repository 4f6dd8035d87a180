import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from './sync-cli.js';
import { onPostgres } from '../helpers/db-url.js';
import { startSyncFixture } from '../sync/sync-fixture.js';



describe.skipIf(onPostgres)('npm run sync on a busy SQLite database', () => {
  it('a database locked by another process: one clear line, exit 1, no stack', async () => {
    await using f = await startSyncFixture();
    const db = new Database(f.dbFile);
    (db as unknown as { exec(s: string): void }).exec('begin exclusive');
    try {
      const done = await runCli(['--job', f.jobId], { ...f.s3.env, DB_URL: f.config.dbUrl, DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot, LOG_LEVEL: 'warn' });
      console.log(JSON.stringify(done));
      expect(done.code).toBe(1);
      expect(done.stderr).not.toMatch(/\n\s+at /);
      expect(done.stderr.trim().split('\n')).toHaveLength(1);
      expect(done.stderr).toMatch(/locked|busy/i);
      // The SQL statement (and its values) is not shown, as everywhere else (withoutStatement).
      expect(done.stderr).not.toMatch(/insert into|select /i);
    } finally {
      (db as unknown as { exec(s: string): void }).exec('rollback');
      db.close();
    }
  }, 90_000);
});
