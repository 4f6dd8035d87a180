import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { RequestCounts } from './s3-server-child.js';

export type { RequestCounts };

export const BENCH_BUCKET = 'bench';
/** s3rver accepts any signature from these; the tools only need something to sign with. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' } as const;

export interface S3Fixture {
  port: number;
  /** The s3rver child's process id (to read its CPU time). */
  pid: number;
  endpoint: string;
  /** Request counts since the last reset; `reset` zeroes them after reading. */
  counts(reset?: boolean): Promise<RequestCounts>;
  /** Whether the server states each object's CRC-64/NVME, as S3 does for objects uploaded since 2025 (off at start). */
  statesChecksums(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Where a child of ours (a sync or the whole service) stores and fetches in a benchmark. */
export interface BenchTarget {
  dbFile: string;
  downloadRoot: string;
  endpoint: string;
  chunkSize: number;
  concurrency: number;
  /** FILE_SYNC of the service (its default when absent). */
  fileSync?: 'file';
}

/**
 * The service's configuration variables for a child pointed at the fixture (path style, the dummy
 * region, warnings only); the SDK's credential chain gets the dummy credentials from process.env.
 */
export function benchServiceEnv(target: BenchTarget): Record<string, string> {
  process.env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretAccessKey;
  return {
    DB_URL: `sqlite:${target.dbFile}`,
    DOWNLOAD_ROOT_FOLDER: target.downloadRoot,
    S3_CHUNK_SIZE: String(target.chunkSize),
    SYNC_CONCURRENCY: String(target.concurrency),
    AWS_ENDPOINT_URL_S3: target.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: DUMMY_CREDENTIALS.region,
    LOG_LEVEL: 'warn',
    ...(target.fileSync ? { FILE_SYNC: target.fileSync } : {}),
  };
}

export const tsxArgs = ['--openssl-legacy-provider', '--import', 'tsx'];

export function benchFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

type ChildMessage = { type: 'ready'; port: number } | { type: 'counts'; id: number; counts: RequestCounts } | { type: 'checksums'; id: number };

/** Starts s3rver in its own process over `directory` (already seeded by seed.ts). */
export async function startS3Fixture(directory: string): Promise<S3Fixture> {
  const child: ChildProcess = fork(benchFile('./s3-server-child.ts'), [directory], {
    execArgv: tsxArgs,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (counts: RequestCounts) => void>();
  const switched = new Map<number, () => void>();
  let nextId = 1;
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('s3rver child did not start within 30 s')), 30_000);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'counts') {
        pending.get(message.id)?.(message.counts);
        pending.delete(message.id);
      } else if (message.type === 'checksums') {
        switched.get(message.id)?.();
        switched.delete(message.id);
      }
    });
    child.once('exit', (code) => reject(new Error(`s3rver child exited with ${code}`)));
  });
  const port = await ready;
  return {
    port,
    pid: child.pid!,
    endpoint: `http://127.0.0.1:${port}`,
    counts(reset = false) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        child.send({ type: 'counts', reset, id });
      });
    },
    statesChecksums(on) {
      const id = nextId++;
      return new Promise((resolve) => {
        switched.set(id, resolve);
        child.send({ type: 'checksums', on, id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
