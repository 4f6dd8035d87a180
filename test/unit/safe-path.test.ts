import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { partialPathFor, resolveLocalPath } from '../../src/sync/safe-path.js';

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
  test('appends .partial when the name allows', () => {
    expect(partialPathFor('/r/a/file.bin')).toBe('/r/a/file.bin.partial');
  });

  test('uses a short hashed name next to the file when the name is near the limit', () => {
    const long = `/r/a/${'n'.repeat(250)}`;
    const partial = partialPathFor(long);
    expect(partial).toMatch(/^\/r\/a\/\.[0-9a-f]{32}\.partial$/);
    expect(partialPathFor(long)).toBe(partial);
    expect(partialPathFor(`/r/a/${'m'.repeat(250)}`)).not.toBe(partial);
  });
});
