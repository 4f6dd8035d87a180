import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initOrm } from '../../src/db/orm.js';
import { waitFor } from '../helpers/poll.js';
import { serviceEntry } from '../helpers/service-bundle.js';

interface Child {
  exited: Promise<number | null>;
  stderr(): string;
  /** Resolves with the first stdout JSON line matching `predicate` (bounded by the test timeout). */
  line(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  /** The reader of its standard output goes away (a dead log shipper): its next write gets EPIPE. */
  closeStdout(): void;
}

function startMain(cwd: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [serviceEntry('main')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    closeStdout: () => child.stdout.destroy(),
    async line(predicate) {
      for (;;) {
        for (const text of stdout.split('\n')) {
          if (!text.startsWith('{')) continue;
          const parsed = JSON.parse(text) as Record<string, unknown>;
          if (predicate(parsed)) return parsed;
        }
        await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), exited]);
        if (child.exitCode !== null) throw new Error(`main exited with ${child.exitCode}: ${stderr}`);
      }
    },
  };
}

describe('npm start entry point (main.js, built from src/main.ts)', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dss-main-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('SIGTERM ends the process (exit 0) even when the reader of its standard output has gone', async () => {
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', DB_URL: `sqlite:${join(cwd, 'db.sqlite')}`, DOWNLOAD_ROOT_FOLDER: join(cwd, 'dl') });
    await child.line((line) => line.msg === 'listening');
    child.closeStdout();
    child.kill('SIGTERM');
    const ended = await Promise.race([child.exited, delay(10_000, 'still running 10 s after SIGTERM', { ref: false })]);
    if (typeof ended === 'string') child.kill('SIGKILL');
    expect(ended).toBe(0);
  });

  it('reads .env, and a bad value exits 1 with one line naming the variable, no stack trace', async () => {
    await writeFile(join(cwd, '.env'), 'PORT=abc\n');
    const child = startMain(cwd, {});
    expect(await child.exited).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^invalid PORT \(got "abc"\): must be a whole number, e\.g\. 5000$/)]);
  });

  it('a bad SHUTDOWN_TIMEOUT exits 1 with one line naming it and its range', async () => {
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DB_URL: `sqlite:${join(cwd, 'db.sqlite')}`, DOWNLOAD_ROOT_FOLDER: join(cwd, 'dl'), SHUTDOWN_TIMEOUT: 'never' });
    try {
      expect(await Promise.race([child.exited, delay(10_000, 'still running', { ref: false })])).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    expect(child.stderr().trim().split('\n')).toEqual(['invalid SHUTDOWN_TIMEOUT (got "never"): must be a duration between 1s and 10m, e.g. 20s']);
  });

  it('reports each bad variable on its own line and never prints the token', async () => {
    const child = startMain(cwd, { S3_CHUNK_SIZE: "require('x')", API_TOKEN: 'short-secret' });
    expect(await child.exited).toBe(1);
    const stderr = child.stderr();
    expect(stderr.trim().split('\n').map((l) => /^invalid (\w+)/.exec(l)?.[1]).sort()).toEqual(['API_TOKEN', 'S3_CHUNK_SIZE']);
    expect(stderr).not.toContain('short-secret');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a DB_OUTAGE_WAIT that is no duration exits 1 with one line naming it', async () => {
    const child = startMain(cwd, { DB_OUTAGE_WAIT: 'forever' });
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim().split('\n')).toEqual(['invalid DB_OUTAGE_WAIT (got "forever"): must be a duration between 1s and 24h, e.g. 10m']);
  });

  it('a port already in use exits 1 with one line, no stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as { port: number };
      const child = startMain(cwd, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
      expect(await child.exited).toBe(1);
      expect(child.stderr().trim().split('\n')).toEqual([`invalid PORT (got "${port}"): the port is in use (EADDRINUSE), e.g. 5000, or 0 for any free port`]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a DB_URL whose server cannot be reached exits 1 with one line naming DB_URL, its password hidden', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DB_URL: `postgresql://dss:hunter2@127.0.0.1:${port}/dss` });
    expect(await child.exited).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^cannot reach the database of DB_URL \\(got "postgresql://dss:\\*\\*\\*@127\\.0\\.0\\.1:${port}/dss"\\): .*ECONNREFUSED`))]);
    expect(lines[0]).not.toContain('hunter2');
  });

  it('a database that a newer release migrated exits 1 with one line saying so', async () => {
    const dbUrl = `sqlite:${join(cwd, 'db.sqlite')}`;
    const migrated = await initOrm(dbUrl);
    await migrated.em.getConnection().execute(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20991231000000', current_timestamp)`);
    await migrated.close(true);
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DB_URL: dbUrl, DOWNLOAD_ROOT_FOLDER: join(cwd, 'dl') });
    const listening = child.line((line) => line.msg === 'listening').then(
      () => 'listening',
      () => 'exited',
    );
    try {
      expect(await Promise.race([child.exited, listening])).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    expect(child.stderr().trim().split('\n')).toEqual([
      'failed to start: the database was migrated by a newer release (Migration20991231000000): start that release or newer',
    ]);
  });

  it('a database error at start-up is one line without its SQL statement', async () => {
    const dbUrl = `sqlite:${join(cwd, 'db.sqlite')}`;
    const migrated = await initOrm(dbUrl);
    await migrated.em.getConnection().execute('drop table jobs');
    await migrated.close(true);
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DB_URL: dbUrl, DOWNLOAD_ROOT_FOLDER: join(cwd, 'dl') });
    expect(await child.exited).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^failed to start: .*no such table: jobs \(statement not shown\)$/)]);
    expect(lines[0]).not.toMatch(/\b(select|from)\b/i);
  });

  it('a DOWNLOAD_ROOT_FOLDER that is a file exits 1 at start-up with one line naming it', async () => {
    await writeFile(join(cwd, 'downloads'), 'not a folder');
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: './downloads' });
    expect(await child.exited).toBe(1);
    expect(child.stderr().trim().split('\n')).toEqual([
      'invalid DOWNLOAD_ROOT_FOLDER (got "./downloads"): ./downloads is a file, not a folder, e.g. ./downloads',
    ]);
  });

  it('serves, then stops cleanly with exit code 0 on SIGTERM', async () => {
    const s3 = { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1', RETRY_COUNT: '0' };
    const child = startMain(cwd, { PORT: '0', HOST: '127.0.0.1', DB_URL: 'sqlite:./state/db.sqlite', ...s3 });
    try {
      const listening = await child.line((l) => l.msg === 'listening');
      const base = `http://127.0.0.1:${String(listening.port)}`;
      const response = await fetch(`${base}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      // A job whose first run uses the S3 client (offline endpoint: the run fails at once).
      const created = await fetch(`${base}/api/v1/scheduler/create_job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ job_name: 'first', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt' } }),
      });
      expect(created.status).toBe(200);
      await waitFor(async () => {
        const { jobs } = (await (await fetch(`${base}/api/v1/scheduler/list_jobs`)).json()) as { jobs: Array<{ job_status: string }> };
        return jobs[0]?.job_status === 'FAILED';
      }, 20_000, 'the first run to fail');
      child.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(await child.line((l) => l.msg === 'stopped')).toMatchObject({ level: 30 });
      // No third-party noise (the AWS SDK's NodeVersionSupportWarning on Node 20 was printed here).
      expect(child.stderr()).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
