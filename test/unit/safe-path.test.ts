import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { partialPathFor, resolveLocalPath } from '../../src/sync/local/safe-path.js';

const root = '/data/downloads/job-1';

describe('resolveLocalPath', () => {
  test.each([
    { key: 'a.txt', path: 'a.txt', dir: false },
    { key: 'a/b/c.txt', path: 'a/b/c.txt', dir: false },
    { key: 'folder/', path: 'folder', dir: true },
    { key: 'with space/ünïcødé 文件 📦', path: 'with space/ünïcødé 文件 📦', dir: false },
    { key: 'back\\slash', path: 'back\\slash', dir: false },
    { key: '...', path: '...', dir: false },
    { key: 'a/..b/c..', path: 'a/..b/c..', dir: false },
    { key: '.hidden', path: '.hidden', dir: false },
  ])('accepts $key', ({ key, path, dir }) => {
    expect(resolveLocalPath(root, key)).toEqual({ ok: true, path: join(root, path), isDirectory: dir });
  });

  test.each([
    { key: '../x', reason: '".." path segment' },
    { key: 'a/../../x', reason: '".." path segment' },
    { key: 'a/..', reason: '".." path segment' },
    { key: '..', reason: '".." path segment' },
    { key: './x', reason: '"." path segment' },
    { key: 'a/./b', reason: '"." path segment' },
    { key: '/etc/passwd', reason: 'absolute path' },
    { key: '\\evil', reason: 'absolute path' },
    { key: 'C:\\Windows\\x', reason: 'absolute path' },
    { key: 'C:/x', reason: 'absolute path' },
    { key: '..\\x', reason: 'between backslashes' },
    { key: 'a\\..\\..\\x', reason: 'between backslashes' },
    { key: 'a/b\\..', reason: 'between backslashes' },
    { key: 'nul\0byte', reason: 'NUL' },
    { key: 'a//b', reason: 'empty path segment' },
    { key: '', reason: 'empty' },
    { key: '/', reason: 'absolute path' },
    { key: `${'x'.repeat(256)}`, reason: '256 bytes, over the file system\'s 255-byte name limit' },
    { key: `dir/${'é'.repeat(128)}/f`, reason: '256 bytes' },
    { key: 'k'.repeat(1025), reason: "over S3's 1024-byte limit" },
    { key: '.dss-partial/x', reason: 'partial downloads' },
    { key: '.dss-partial/', reason: 'partial downloads' },
    { key: '.dss-trash/1/x', reason: 'mirror deletes' },
    { key: '.dss-trash/', reason: 'mirror deletes' },
  ])('refuses $key', ({ key, reason }) => {
    const result = resolveLocalPath(root, key);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain(reason);
      expect(result.reason).toMatch(/^unsafe key: /);
    }
  });

  test('a 255-byte segment and a 1024-byte key are fine', () => {
    const segment = 'y'.repeat(255);
    expect(resolveLocalPath(root, segment).ok).toBe(true);
    const key = Array.from({ length: 4 }, () => 'z'.repeat(255)).join('/');
    expect(Buffer.byteLength(key)).toBe(1023);
    expect(resolveLocalPath(root, key)).toEqual({ ok: true, path: join(root, key), isDirectory: false });
  });

  test('every accepted path stays under the root', () => {
    const keys = ['a', 'a/b', 'x/y/z/', '.a/..b', 'q\\r', '%2e%2e/x'];
    for (const key of keys) {
      const result = resolveLocalPath(root, key);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.path.startsWith(`${root}/`)).toBe(true);
    }
  });
});

describe('partialPathFor', () => {
  test('a fixed-length name hashed from the key, in the job root\'s .dss-partial folder, the same on every run', () => {
    const partial = partialPathFor(root, 'a/file.bin');
    expect(partial).toMatch(new RegExp(`^${root}/\\.dss-partial/[0-9a-f]{40}\\.partial$`));
    expect(partialPathFor(`${root}/`, 'a/file.bin')).toBe(partial);
    expect(partialPathFor(root, 'n'.repeat(1000))).toMatch(/\/[0-9a-f]{40}\.partial$/);
  });

  test('keys x and x.partial: neither one\'s temporary file is the other\'s final path, and every key maps to its own', () => {
    const keys = ['x', 'x.partial', 'd/x', 'd/x.partial', 'X'];
    const partials = keys.map((key) => partialPathFor(root, key));
    expect(new Set(partials).size).toBe(keys.length);
    const finals = keys.map((key) => (resolveLocalPath(root, key) as { path: string }).path);
    for (const partial of partials) expect(finals).not.toContain(partial);
  });
});
