import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openJobFolder } from '../../src/sync/local/job-folder.js';
import { removeTree } from '../../src/sync/local/tree-removal.js';
import { acquireRunLock } from '../../src/sync/local/run-lock.js';

const made: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dss-job-folder-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { mode: 'descriptor paths (Linux)', descriptors: true },
  { mode: 'lstat checks (elsewhere)', descriptors: false },
])('openJobFolder, $mode', ({ descriptors }) => {
  test.runIf(!descriptors || process.platform === 'linux')('creates nested folders and writes a file into place', () => {
    const root = join(tempDir(), 'job');
    const folder = openJobFolder(root, { descriptors });
    folder.ensureDir(join(root, 'a', 'b'));
    const partial = folder.partial(join(root, '.dss-partial', 'x.partial'));
    if (!descriptors) mkdirSync(join(root, '.dss-partial'));
    writeFileSync(partial, 'bytes');
    folder.at(join(root, 'a', 'b', 'file.txt'), (reached) => renameSync(partial, reached));
    folder.close();
    expect(readFileSync(join(root, 'a', 'b', 'file.txt'), 'utf8')).toBe('bytes');
  });

  test.runIf(!descriptors || process.platform === 'linux')('refuses a folder that is a link, naming it, and creates nothing through it', () => {
    const root = tempDir();
    const outside = tempDir();
    symlinkSync(outside, join(root, 'linked'));
    const folder = openJobFolder(root, { descriptors });
    expect(() => folder.ensureDir(join(root, 'linked', 'deeper'))).toThrow(expect.objectContaining({ code: 'ELOOP', message: `${join(root, 'linked')} is a symbolic link` }));
    expect(() => folder.at(join(root, 'linked', 'file.txt'), () => 'used')).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    folder.close();
    expect(readdirSync(outside)).toEqual([]);
  });

  test.runIf(!descriptors || process.platform === 'linux')('a file where a folder belongs is ENOTDIR, and its message names the real path', () => {
    const root = tempDir();
    writeFileSync(join(root, 'taken'), 'a file');
    const folder = openJobFolder(root, { descriptors });
    let caught: NodeJS.ErrnoException | undefined;
    try {
      folder.at(join(root, 'taken', 'file.txt'), (reached) => writeFileSync(reached, 'bytes'));
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    folder.close();
    expect(caught?.code).toBe('ENOTDIR');
    expect(caught?.message).toContain(join(root, 'taken'));
    expect(caught?.message).not.toContain('/proc/self/fd');
  });

  test('refuses a path outside the root', () => {
    const root = tempDir();
    const folder = openJobFolder(root, { descriptors });
    expect(() => folder.ensureDir(join(root, '..', 'elsewhere'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    folder.close();
  });

  test.runIf(!descriptors || process.platform === 'linux')('a folder whose name starts with two dots is beneath the root, not outside it', () => {
    const root = tempDir();
    const folder = openJobFolder(root, { descriptors });
    folder.ensureDir(join(root, '..hidden', 'deeper'));
    folder.at(join(root, '..hidden', 'file.txt'), (reached) => writeFileSync(reached, 'bytes'));
    folder.close();
    expect(readFileSync(join(root, '..hidden', 'file.txt'), 'utf8')).toBe('bytes');
  });

  test.runIf(!descriptors || process.platform === 'linux')('refuses a job folder that is itself a link, and writes nothing through it', () => {
    const downloads = tempDir();
    const outside = tempDir();
    const root = join(downloads, 'job');
    symlinkSync(outside, root);
    const folder = openJobFolder(root, { descriptors });
    expect(() => folder.ensureDir(join(root, 'a'))).toThrow(expect.objectContaining({ code: 'ELOOP', message: `${root} is a symbolic link` }));
    expect(() => folder.partialFolder()).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    expect(() => folder.at(join(root, 'file.txt'), (reached) => writeFileSync(reached, 'bytes'))).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    folder.close();
    expect(readdirSync(outside)).toEqual([]);
  });

  test.runIf(!descriptors || process.platform === 'linux')('a download root that is a link is followed (an admin may place it anywhere)', () => {
    const real = tempDir();
    const linkedRoot = join(tempDir(), 'downloads');
    symlinkSync(real, linkedRoot);
    const root = join(linkedRoot, 'job');
    const folder = openJobFolder(root, { descriptors });
    folder.ensureDir(join(root, 'a'));
    folder.at(join(root, 'a', 'file.txt'), (reached) => writeFileSync(reached, 'bytes'));
    folder.close();
    expect(readFileSync(join(real, 'job', 'a', 'file.txt'), 'utf8')).toBe('bytes');
  });
});

/** `outside/b/keep.txt` and `outside/top.txt`: what a link planted in a job folder points to. */
function outsideFolder(): string {
  const outside = tempDir();
  mkdirSync(join(outside, 'b'));
  writeFileSync(join(outside, 'b', 'keep.txt'), 'not ours');
  writeFileSync(join(outside, 'top.txt'), 'not ours either');
  return outside;
}

function expectOutsideIntact(outside: string): void {
  expect(readFileSync(join(outside, 'b', 'keep.txt'), 'utf8')).toBe('not ours');
  expect(readFileSync(join(outside, 'top.txt'), 'utf8')).toBe('not ours either');
}

describe.each([
  { mode: 'descriptor paths (Linux)', descriptors: true },
  { mode: 'lstat checks (elsewhere)', descriptors: false },
])('removeTree, $mode', ({ descriptors }) => {
  const runs = !descriptors || process.platform === 'linux';

  test.runIf(runs)('removes a nested folder, and a link in it without touching what it points to', async () => {
    const root = tempDir();
    const outside = outsideFolder();
    mkdirSync(join(root, 'job', 'a', 'deep', 'er'), { recursive: true });
    mkdirSync(join(root, 'job', 'empty'));
    writeFileSync(join(root, 'job', 'a', 'deep', 'er', 'file.bin'), 'x');
    writeFileSync(join(root, 'job', 'top.txt'), 'y');
    symlinkSync(outside, join(root, 'job', 'a', 'linked'));
    writeFileSync(join(root, 'sibling.txt'), 'stays');

    await removeTree(root, join(root, 'job'), { descriptors });

    expect(readdirSync(root)).toEqual(['sibling.txt']);
    expectOutsideIntact(outside);
  });

  test.runIf(runs)('nothing there is fine; the path itself a link: the link goes, its target stays', async () => {
    const root = tempDir();
    const outside = outsideFolder();
    await removeTree(root, join(root, 'missing', 'deeper'), { descriptors });
    symlinkSync(outside, join(root, 'job'));
    await removeTree(root, join(root, 'job'), { descriptors });
    expect(readdirSync(root)).toEqual([]);
    expectOutsideIntact(outside);
  });

  test.runIf(runs)('a folder on the way that is a link: nothing is removed through it', async () => {
    const root = tempDir();
    const outside = outsideFolder();
    symlinkSync(outside, join(root, 'job'));
    await removeTree(root, join(root, 'job', 'b'), { descriptors });
    expect(lstatSync(join(root, 'job')).isSymbolicLink()).toBe(true);
    expectOutsideIntact(outside);
  });

  test('refuses the root itself and a path outside it', async () => {
    const root = tempDir();
    await expect(removeTree(root, root, { descriptors })).rejects.toThrow(/refusing to remove the root itself/);
    await expect(removeTree(root, join(root, '..', 'elsewhere'), { descriptors })).rejects.toMatchObject({ code: 'ELOOP' });
  });
});

describe.runIf(process.platform === 'linux')('removeTree, a folder swapped for a link while it is removed', () => {
  test('the link goes; the files it points to stay, and the real folder is emptied where it was moved', async () => {
    const root = tempDir();
    const outside = outsideFolder();
    const moved = join(tempDir(), 'moved');
    mkdirSync(join(root, 'job', 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'job', 'a', 'b', 'keep.txt'), 'ours');
    writeFileSync(join(root, 'job', 'a', 'top.txt'), 'ours too');
    let swapped = false;

    await removeTree(root, join(root, 'job'), {
      // Once `a` is open and listed: the same names, but through a link to a folder that is not the job's.
      afterListing: async (folder) => {
        if (folder !== join(root, 'job', 'a') || swapped) return;
        swapped = true;
        renameSync(join(root, 'job', 'a'), moved);
        symlinkSync(outside, join(root, 'job', 'a'));
      },
    });

    expect(swapped).toBe(true);
    expectOutsideIntact(outside);
    expect(existsSync(join(root, 'job'))).toBe(false);
    expect(readdirSync(moved)).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('removeTree, a file replaced by a folder after the listing', () => {
  test('the folder and what it holds go too', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'job'));
    for (let i = 0; i < 40; i++) writeFileSync(join(root, 'job', `f${i}`), 'x');
    await removeTree(root, join(root, 'job'), {
      afterListing: async (folder) => {
        if (folder !== join(root, 'job') || !existsSync(join(root, 'job', 'f7'))) return;
        rmSync(join(root, 'job', 'f7'));
        mkdirSync(join(root, 'job', 'f7', 'deeper'), { recursive: true });
        writeFileSync(join(root, 'job', 'f7', 'deeper', 'new.txt'), 'made meanwhile');
      },
    });
    expect(readdirSync(root)).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('the run lock, taken in the folder the run holds open', () => {
  test('.dss-partial swapped for a link after the run opened it: the lock lands in the real folder, nothing outside', async () => {
    const root = join(tempDir(), 'job');
    const outside = tempDir();
    const moved = join(tempDir(), 'moved');
    const folder = openJobFolder(root);
    const partials = folder.partialFolder();
    renameSync(join(root, '.dss-partial'), moved);
    symlinkSync(outside, join(root, '.dss-partial'));

    const lock = await acquireRunLock(partials);
    expect(readdirSync(moved)).toEqual(['run.lock']);
    expect(readFileSync(join(moved, 'run.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
    folder.close();
    expect(readdirSync(moved)).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
  });
});
