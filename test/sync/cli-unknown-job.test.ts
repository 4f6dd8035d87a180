import { describe, expect, it } from 'vitest';
import { runCli } from './sync-cli.js';
import { onPostgres } from '../helpers/db-url.js';
import { startTestApp } from '../helpers/test-app.js';

describe('npm run sync: the job id', () => {
  it('an unknown job id exits 2 with "job not found", and prints no SQL or password', async () => {
    await using app = await startTestApp();
    const id = '11111111-1111-4111-8111-111111111111';
    const done = await runCli(['--job', id], { DB_URL: app.config.dbUrl, LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: app.config.downloadRoot });
    const password = onPostgres ? new URL(app.config.dbUrl).password : '';
    if (password) expect(done.stderr).not.toContain(password);
    expect(done.stderr).not.toMatch(/select /i);
    expect({ code: done.code, stderr: done.stderr.trim() }).toEqual({ code: 2, stderr: `job not found: ${id}` });
  });

  it('a value that is no job id (no UUID) exits 2 saying so, before any database query', async () => {
    await using app = await startTestApp();
    const done = await runCli(['--job', 'not-a-uuid'], { DB_URL: app.config.dbUrl, LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: app.config.downloadRoot });
    expect({ code: done.code, stderr: done.stderr.trim() }).toEqual({ code: 2, stderr: 'not a job id (a UUID): not-a-uuid\nusage: npm run sync -- --job <job id>' });
  });

  it('a job id in capitals, with blanks around it, names the job, as in the API', async () => {
    await using app = await startTestApp();
    const job = await app.services.jobs.create({ name: 'cli case', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: 'no-such-bucket' } });
    const done = await runCli(['--job', ` ${job.id.toUpperCase()} `], { DB_URL: app.config.dbUrl, LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: app.config.downloadRoot, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
    expect(done.stderr).not.toContain('job not found');
    expect(done.code).toBe(1);
    expect(JSON.parse(done.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'FAILED' });
  });
});
