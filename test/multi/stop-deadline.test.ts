import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startInstance, type InstanceProcess } from './instance-process.js';

const CHUNK = 64 * 1024;
/** A bound on a hang, not a timing: a stop held by the database would last minutes. */
const EXIT_BOUND_MS = 30_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * An instance syncing a large object (throttled, so the run is still going) on a PostgreSQL reached
 * through a relay, which then black-holes the database: a host that hangs, never refusing anything.
 */
async function instanceOnHangingDatabase(env: Record<string, string>) {
  const relay = await startRelayedPostgres();
  const s3 = await startS3Server();
  await s3.putObject('big/large.bin', seededBytes(64 * CHUNK, 3));
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 256 * 1024 } : undefined));
  const dir = await mkdtemp(join(tmpdir(), 'dss-stop-deadline-'));
  const instance = await startInstance({
    ...s3.env,
    DB_URL: relay.dbUrl,
    DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    S3_CHUNK_SIZE: '64KiB',
    SYNC_CONCURRENCY: '2',
    ...env,
  });
  await createJobOverRest(instance, { name: 'large', schedule: 'daily', bucket: s3.bucket, prefix: 'big/' });
  await waitFor(() => proxy.counts.bytesToClient >= 2 * CHUNK, 30_000, 'the run to be downloading');
  relay.blackHole();
  const exited = new Promise<Exit>((resolve) => instance.child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    instance,
    /** How the process ended, or 'still running' after EXIT_BOUND_MS. */
    exit: () => Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), EXIT_BOUND_MS).unref())]),
    async [Symbol.asyncDispose]() {
      await instance.kill9();
      await relay[Symbol.asyncDispose]();
      await proxy.stop();
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The JSON log lines of the instance whose `msg` matches. */
function logLines(instance: InstanceProcess, msg: RegExp): Array<Record<string, unknown>> {
  return instance
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line.msg === 'string' && msg.test(line.msg));
}

describe('a graceful stop while the database host hangs', () => {
  it('exits with code 1 once SHUTDOWN_TIMEOUT has passed, with one line naming what was pending', async () => {
    await using hanging = await instanceOnHangingDatabase({ SHUTDOWN_TIMEOUT: '2s' });
    hanging.instance.child.kill('SIGTERM');
    expect(await hanging.exit()).toEqual({ code: 1, signal: null });
    const lines = logLines(hanging.instance, /stop did not finish/);
    // The runs' last writes and lease hand-back wait on the hanging database.
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'stop did not finish within 2 s (SHUTDOWN_TIMEOUT); exiting', pending: 'runs (their last writes and lease hand-back)' }),
    ]);
  }, 90_000);

  it('a second SIGTERM while stopping exits at once with code 143 and one line', async () => {
    await using hanging = await instanceOnHangingDatabase({});
    hanging.instance.child.kill('SIGTERM');
    // The stop closes the listener first.
    await waitFor(() => fetch(`${hanging.instance.url}/healthz`).then(() => false, () => true), 10_000, 'the listener to close');
    hanging.instance.child.kill('SIGTERM');
    expect(await hanging.exit()).toEqual({ code: 143, signal: null });
    expect(logLines(hanging.instance, /again while stopping/)).toEqual([expect.objectContaining({ level: 50, msg: 'SIGTERM again while stopping: exiting now' })]);
  }, 90_000);
});
