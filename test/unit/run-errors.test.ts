import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobGoneError } from '../../src/sync/checkpoint/checkpoint-store.js';
import { emptyStats } from '../../src/sync/checkpoint/run-stats.js';
import { openJobFolder, type JobFolder } from '../../src/sync/local/job-folder.js';
import { FileSystemSyncError } from '../../src/sync/local/small-file-sync.js';
import { objectTaskFailed, rowCommitFailed } from '../../src/sync/run/run-errors.js';
import { createRunTally } from '../../src/sync/run/run-tally.js';
import { captureLogs } from '../helpers/logs.js';

/** A run's failure handlers over a real tally and log; `gone` counts the job's deletion notices. */
function failureDeps() {
  const logs = captureLogs();
  const tally = createRunTally();
  const deps = { jobGone: () => (deps.gone += 1), gone: 0, tally, logger: logs.logger };
  return { deps, logs, tally };
}

describe('an object task that threw instead of recording its outcome', () => {
  it('is counted and logged, and the first one is the run\'s error', () => {
    const { deps, logs, tally } = failureDeps();
    const stats = emptyStats();
    const failed = objectTaskFailed(deps, stats);
    failed(new Error('boom'));
    failed(new Error('later'));

    expect(stats.tasksFailed).toBe(2);
    expect(tally.outcome(false, null)).toEqual({ status: 'FAILED', error: 'object task: Error: boom' });
    expect(logs.lines.filter((line) => line.msg === 'an object task failed without recording an outcome')).toHaveLength(2);
    expect(deps.gone).toBe(0);
  });

  it('the job deleted under it stops the run without failing it', () => {
    const { deps, tally } = failureDeps();
    const stats = emptyStats();
    objectTaskFailed(deps, stats)(new JobGoneError('gone'));
    expect(deps.gone).toBe(1);
    expect(stats.tasksFailed).toBe(1);
    expect(tally.clean).toBe(true);
  });
});

describe('a batch of object rows whose commit failed', () => {
  let root: string;
  let folder: JobFolder;
  /** The rows' local paths are absolute, as the run records them. */
  const batchIn = (dir: string) =>
    ['a.txt', 'sub/b.txt'].map((key) => ({ key, update: { status: 'PROCESSED' as const, localPath: join(dir, key) } }));
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dss-run-errors-'));
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'a.txt'), 'a');
    await writeFile(join(root, 'sub', 'b.txt'), 'b');
    folder = openJobFolder(root);
  });
  afterEach(async () => {
    folder.close();
    await rm(root, { recursive: true, force: true });
  });

  it('small files not known to be durable are removed, so the next run fetches them again', () => {
    const { deps, logs, tally } = failureDeps();
    rowCommitFailed(deps, folder)(new FileSystemSyncError('syncfs: EIO'), batchIn(root));
    expect(existsSync(join(root, 'a.txt'))).toBe(false);
    expect(existsSync(join(root, 'sub', 'b.txt'))).toBe(false);
    expect(tally.outcome(false, null)).toEqual({ status: 'FAILED', error: 'disk: syncfs: EIO' });
    expect(logs.lines.map((line) => line.msg)).toContain('could not make small files durable; their rows were not committed');
  });

  it('a database failure fails the run and keeps the files, which are on disk', () => {
    const { deps, tally } = failureDeps();
    rowCommitFailed(deps, folder)(new Error('connection terminated'), batchIn(root));
    expect(existsSync(join(root, 'a.txt'))).toBe(true);
    expect(existsSync(join(root, 'sub', 'b.txt'))).toBe(true);
    expect(tally.outcome(false, null)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^database: /) });
  });

  it('the job deleted under it stops the run without failing it', () => {
    const { deps, tally } = failureDeps();
    rowCommitFailed(deps, folder)(new JobGoneError('gone'), batchIn(root));
    expect(deps.gone).toBe(1);
    expect(tally.clean).toBe(true);
    expect(existsSync(join(root, 'a.txt'))).toBe(true);
  });
});
