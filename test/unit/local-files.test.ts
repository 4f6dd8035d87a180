import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isPresent } from '../../src/sync/local/local-files.js';

describe('isPresent: is an unchanged object still on disk as the last run left it?', () => {
  const root = mkdtempSync(join(tmpdir(), 'dss-local-files-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'file'), 'abcd');
  mkdirSync(join(root, 'folder'));
  symlinkSync(join(root, 'loop'), join(root, 'loop'));

  test.each([
    ['a file of the listed size', 'file', 4, false, true],
    ['a file of another size', 'file', 5, false, false],
    ['a missing file', 'missing', 4, false, false],
    ['a folder marker whose folder is there', 'folder', 0, true, true],
    ['a folder where a file is expected', 'folder', 0, false, false],
    ['a file where a folder marker is (key k beside marker k/): the marker leaves it, done', 'file', 4, true, true],
    ['a path below a file (ENOTDIR)', 'file/below', 4, false, false],
    ['a symlink loop (ELOOP): refetched, not a failed run', 'loop', 4, false, false],
  ])('%s', (_case, path, size, isDirectory, expected) => {
    expect(isPresent(join(root, path), size, isDirectory)).toBe(expected);
  });
});
