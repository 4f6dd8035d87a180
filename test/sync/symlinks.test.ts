import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { openPartial } from '../../src/sync/local/local-files.js';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * README, "Safety": "Nothing is written outside DOWNLOAD_ROOT_FOLDER/<job_id>/". A folder of the
 * job replaced by a symbolic link between two runs (by anyone who can write in the download
 * folder) redirects the next run's writes, and its mirror deletes, outside the job folder.
 */
describe('symlinks inside a job folder', () => {
  test('a job sub-folder replaced by a symlink between runs: the next run writes nothing through it', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('data/a.txt', 'first');
      expect((await f.sync()).status).toBe('SUCCEEDED');

      // Between runs: data/ becomes a link to a folder outside the download root.
      await rm(join(f.root, 'data'), { recursive: true });
      await symlink(outside, join(f.root, 'data'));
      await f.s3.putObject('data/b.txt', 'written through the link');
      await f.s3.putObject('data/deep/er/c.txt', 'its folders would be made through the link');
      await f.sync();

      // What a defender expects: nothing lands outside the job folder, not even an empty folder.
      const escaped = await readFile(join(outside, 'b.txt'), 'utf8').catch(() => null);
      expect(escaped, `file written outside the job folder at ${join(outside, 'b.txt')}`).toBeNull();
      expect(await readdir(outside), 'folders created outside the job folder').toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('.dss-partial replaced by a symlink: the run writes no lock or partial file in the folder it points to', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await mkdir(f.root, { recursive: true });
      await symlink(outside, join(f.root, '.dss-partial'));
      const past = new Date('2001-01-01T00:00:00Z');
      await utimes(outside, past, past);
      await f.s3.putObject('a.txt', 'x'.repeat(300 * 1024));
      const { run } = await f.sync();
      expect(run).toMatchObject({ status: 'FAILED', error: `${join(f.root, '.dss-partial')} is a symbolic link: partial downloads are never written through links` });
      // The folder outside the download root was written to (run.lock, run.lock.<pid>, <sha>.partial created and removed there).
      const after = await stat(outside);
      expect(after.mtime.getTime(), 'a folder outside the job folder was modified by the run').toBe(past.getTime());
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('mirror deletes never follow a symlinked folder to move a file from outside the job folder', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
      await f.s3.putObjects([
        ['keep.txt', 'keep'],
        ['data/victim.txt', 'synced copy'],
      ]);
      expect((await f.sync()).status).toBe('SUCCEEDED');

      // Between runs: data/ becomes a link to a folder holding someone else's file of the same name.
      await rm(join(f.root, 'data'), { recursive: true });
      await writeFile(join(outside, 'victim.txt'), 'not ours: must never be touched');
      await symlink(outside, join(f.root, 'data'));
      await f.s3.deleteObject('data/victim.txt');
      await f.sync();

      const still = await readFile(join(outside, 'victim.txt'), 'utf8').catch(() => null);
      expect(still, 'a file outside the job folder was moved away by mirror deletes').toBe('not ours: must never be touched');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test("an empty object's file replaced by a symlink: the next run leaves the file the link points to alone", async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('marker.txt', '');
      expect((await f.sync()).status).toBe('SUCCEEDED');

      // Between runs: the empty file becomes a link to someone else's file (e.g. the service's own database).
      const victim = join(outside, 'precious.db');
      await writeFile(victim, 'precious data, not the job\'s');
      await rm(join(f.root, 'marker.txt'));
      await symlink(victim, join(f.root, 'marker.txt'));
      await f.sync();

      expect(await readFile(victim, 'utf8'), 'a file outside the job folder was truncated through a symlink').toBe("precious data, not the job's");
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('a symlink planted at a key\'s partial-download name: the file it points to keeps its bytes', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      const victim = join(outside, 'authorized_keys');
      await writeFile(victim, 'original content');
      // The partial name is public: sha256 of the key (safe-path.ts partialPathFor).
      await mkdir(join(f.root, '.dss-partial'), { recursive: true });
      await symlink(victim, partialPathFor(f.root, 'payload.txt'));
      await f.s3.putObject('payload.txt', 'ssh-ed25519 AAAA attacker');
      await f.sync();
      expect(await readFile(victim, 'utf8'), 'a file outside the job folder was overwritten with the object').toBe('original content');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

/**
 * The same, with the link swapped in while the run works: after the run has made (and checked) the
 * folder, and before its file is moved there. Each write reaches its folder through descriptors
 * opened folder by folder without following links, so the swap is seen at the write itself.
 */
describe('symlinks swapped in during a run', () => {
  test('a folder replaced by a link after the run made it: the file is not moved through it', async () => {
    await using f = await startSyncFixture({ chunkSize: 64 * 1024 });
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObjects([['swap/big.bin', 'b'.repeat(200 * 1024)], ['other.txt', 'fine']]);
      const swapFolder = async (path: string) => {
        if (basename(path) === basename(partialPathFor(f.root, 'swap/big.bin'))) {
          await rm(join(f.root, 'swap'), { recursive: true });
          await symlink(outside, join(f.root, 'swap'));
        }
      };
      const run = await f.sync({ openPartial: async (path, flags) => (await swapFolder(path), openPartial(path, flags)) });

      expect(run.status).toBe('FAILED');
      expect(await readdir(outside), 'a file was moved outside the job folder').toEqual([]);
      expect(await f.row('swap/big.bin')).toMatchObject({ status: 'FAILED', error: 'the local path goes through a symbolic link; nothing is written through links' });
      expect(await readFile(join(f.root, 'other.txt'), 'utf8')).toBe('fine');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('.dss-partial replaced by a link during the run: a failed download removes nothing from the folder it points to', async () => {
    await using f = await startSyncFixture({ chunkSize: 512 * 1024 });
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('x.bin', 'x'.repeat(300 * 1024));
      const lookalike = join(outside, basename(partialPathFor(f.root, 'x.bin')));
      const swapThenFail = async () => {
        await rename(join(f.root, '.dss-partial'), join(f.root, 'moved-partials'));
        await symlink(outside, join(f.root, '.dss-partial'));
        await writeFile(lookalike, 'not ours: must never be removed');
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      };
      const run = await f.sync({ openPartial: swapThenFail });

      expect(run.status).toBe('FAILED');
      expect(await readFile(lookalike, 'utf8').catch(() => null), 'a file outside the job folder was removed').toBe('not ours: must never be removed');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('.dss-partial replaced by a link during the run: the later partial files stay in the real folder', async () => {
    await using f = await startSyncFixture({ chunkSize: 64 * 1024, concurrency: 1 });
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      const objects: Array<[string, string]> = ['a', 'b', 'c'].map((name) => [`${name}.bin`, name.repeat(200 * 1024)]);
      await f.s3.putObjects(objects);
      let swapped = false;
      const swapPartialFolder = async () => {
        if (swapped) return;
        swapped = true;
        await rename(join(f.root, '.dss-partial'), join(f.root, 'moved-partials'));
        await symlink(outside, join(f.root, '.dss-partial'));
        await utimes(outside, past, past);
      };
      const past = new Date('2001-01-01T00:00:00Z');
      const run = await f.sync({ openPartial: async (path, flags) => (await swapPartialFolder(), openPartial(path, flags)) });

      expect(run.status).toBe('SUCCEEDED');
      // A partial file created there and moved away later would leave the folder empty but modified.
      expect((await stat(outside)).mtime.getTime(), 'partial files were written outside the job folder').toBe(past.getTime());
      for (const [key, body] of objects) expect(await readFile(join(f.root, key), 'utf8')).toBe(body);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test("an unchanged object's file replaced by a link to a file of its size: fetched again, the link replaced, its target kept", async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('small.txt', 'the object');
      expect((await f.sync()).status).toBe('SUCCEEDED');

      const other = join(outside, 'other.txt');
      await writeFile(other, 'not theirs');
      await rm(join(f.root, 'small.txt'));
      await symlink(other, join(f.root, 'small.txt'));
      f.s3.resetCounts();
      expect((await f.sync()).status).toBe('SUCCEEDED');

      expect(f.s3.counts.gets, 'the object is fetched again').toBe(1);
      expect((await lstat(join(f.root, 'small.txt'))).isFile()).toBe(true);
      expect(await readFile(join(f.root, 'small.txt'), 'utf8')).toBe('the object');
      expect(await readFile(other, 'utf8')).toBe('not theirs');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test("an unchanged object's folder replaced by a link to a folder with a file of its size: not taken for the object, nothing written through it", async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('data/a.txt', 'the object');
      expect((await f.sync()).status).toBe('SUCCEEDED');

      await writeFile(join(outside, 'a.txt'), 'lookalike!');
      await rm(join(f.root, 'data'), { recursive: true });
      await symlink(outside, join(f.root, 'data'));
      await f.sync();

      const row = await f.row('data/a.txt');
      expect(row?.status).toBe('FAILED');
      expect(row?.error).toMatch(/symbolic link/);
      expect(await readFile(join(outside, 'a.txt'), 'utf8')).toBe('lookalike!');
      expect(await readdir(outside)).toEqual(['a.txt']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('the job folder itself a link before the first run: nothing is written where it points', async () => {
    await using f = await startSyncFixture({ chunkSize: 64 * 1024 });
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObjects([
        ['a.txt', 'small'],
        ['d/b.bin', 'x'.repeat(200 * 1024)],
      ]);
      await mkdir(dirname(f.root), { recursive: true });
      await symlink(outside, f.root);
      const result = await f.sync();

      expect(result.status).not.toBe('SUCCEEDED');
      expect(await readdir(outside), 'files written through the job folder link').toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
