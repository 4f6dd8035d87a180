import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { startSyncFixture } from '../sync/sync-fixture.js';

const CLI = join(import.meta.dirname, '../../src/cli/sync.ts');
const TSX = import.meta.resolve('tsx');

function runCli(args: string[], env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: join(import.meta.dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

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
