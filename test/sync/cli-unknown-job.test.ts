import { describe, expect, it } from 'vitest';
import { runCli } from './sync-cli.js';
import { onPostgres } from '../helpers/db-url.js';
import { startTestApp } from '../helpers/test-app.js';



describe('npm run sync on PostgreSQL', () => {
  it.each(['not-a-uuid', '11111111-1111-4111-8111-111111111111'])('an unknown job id (%s) exits 2 with "job not found", as on SQLite, and prints no SQL or password', async (id) => {
    await using app = await startTestApp();
    const done = await runCli(['--job', id], { DB_URL: app.config.dbUrl, LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: app.config.downloadRoot });
    const password = onPostgres ? new URL(app.config.dbUrl).password : '';
    if (password) expect(done.stderr).not.toContain(password);
    expect(done.stderr).not.toMatch(/select /i);
    expect({ code: done.code, stderr: done.stderr.trim() }).toEqual({ code: 2, stderr: `job not found: ${id}` });
  });
});
