import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PARTIAL_DIR } from '../../src/sync/local/safe-path.js';
import { sha256, sha256File } from '../helpers/files.js';
import { startSyncFixture } from './sync-fixture.js';

/** A process that is alive until killed, standing in for another sync of the same job. */
function otherProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { pid: child.pid!, stop: () => new Promise<void>((resolve) => child.once('exit', () => resolve()).kill('SIGKILL')) };
}

/** Writes the job's lock file as if process `pid` held it; returns its path. */
async function writeLock(jobRoot: string, pid: number): Promise<string> {
  const lockPath = join(jobRoot, PARTIAL_DIR, 'run.lock');
  await mkdir(join(jobRoot, PARTIAL_DIR), { recursive: true });
  await writeFile(lockPath, `${pid}\n`);
  return lockPath;
}

describe('one sync per job folder across processes', () => {
  test('while another live process holds the job, a run fails at once naming it, fetches nothing and leaves its lock alone', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('a.txt', 'body of a');
    const other = otherProcess();
    try {
      const lockPath = await writeLock(f.root, other.pid);
      const result = await f.sync();

      expect(result.status).toBe('FAILED');
      expect(result.run.error).toBe(`another process (pid ${other.pid}) is syncing this job into the same folder; this run fetched nothing`);
      expect(f.s3.counts.gets).toBe(0);
      expect(existsSync(join(f.root, 'a.txt'))).toBe(false);
      expect(await f.rows()).toEqual([]);
      expect(existsSync(lockPath)).toBe(true);
      expect(f.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'FAILED' });
    } finally {
      await other.stop();
    }
  });

  test('a lock left by a process that is gone (kill -9) is taken over; the run succeeds and removes it', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('a.txt', 'body of a');
    const gone = otherProcess();
    await gone.stop();
    const lockPath = await writeLock(f.root, gone.pid);

    const result = await f.sync();

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'a.txt'))).toBe(sha256('body of a'));
    expect(existsSync(lockPath)).toBe(false);
  });

  test('a lock whose pid now belongs to a process started after it was written (pid reuse) is taken over', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('a.txt', 'body of a');
    const unrelated = otherProcess();
    try {
      const lockPath = await writeLock(f.root, unrelated.pid);
      const anHourAgo = new Date(Date.now() - 3_600_000);
      await utimes(lockPath, anHourAgo, anHourAgo);

      const result = await f.sync();

      expect(result.status).toBe('SUCCEEDED');
      expect(await sha256File(join(f.root, 'a.txt'))).toBe(sha256('body of a'));
      expect(existsSync(lockPath)).toBe(false);
    } finally {
      await unrelated.stop();
    }
  });
});
