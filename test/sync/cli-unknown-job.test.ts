import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { startTestApp } from '../helpers/test-app.js';

const CLI = join(import.meta.dirname, '../../src/cli/sync.ts');
const TSX = import.meta.resolve('tsx');

function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: join(import.meta.dirname, '../..'), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

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
