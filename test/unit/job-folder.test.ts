import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openJobFolder } from '../../src/sync/local/job-folder.js';

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
});
