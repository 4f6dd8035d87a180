import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { serviceEntry } from '../helpers/service-bundle.js';
import { CHUNK } from './sync-fixture.js';

/** What the CLI is pointed at: a job, its database and download folder, the S3 server's credentials (a SyncFixture has them). */
export interface CliTarget {
  jobId: string;
  s3: { env: Record<string, string> };
  config: { dbUrl: string; downloadRoot: string };
}

export interface CliExit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** `npm run sync -- --job <id>` as a real child process (so a test can kill -9 it) on the target's database. */
export function startCli(
  f: CliTarget,
  endpoint: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): { child: ChildProcess; exit: Promise<CliExit> } {
  const child = spawn(process.execPath, [serviceEntry('sync-cli'), '--job', f.jobId, ...(options.args ?? [])], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      ...f.s3.env,
      NODE_OPTIONS: '',
      AWS_ENDPOINT_URL_S3: endpoint,
      DB_URL: f.config.dbUrl,
      // The same instance id each time: a restarted CLI takes its own run back at once (on PostgreSQL
      // another id would wait for the dead one's lease to expire).
      INSTANCE_ID: 'sync-cli',
      DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot,
      S3_CHUNK_SIZE: String(CHUNK),
      SYNC_CONCURRENCY: '2',
      RETRY_DELAY: '0.01',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<CliExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exit };
}

/** `npm run sync <args>` with `env` (and PATH) as its whole environment, in `cwd` (the repository by default), to its exit. */
export function runCli(args: string[], env: Record<string, string>, cwd = join(import.meta.dirname, '../..')): Promise<CliExit> {
  const child = spawn(process.execPath, [serviceEntry('sync-cli'), ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<CliExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}
