import { describe, expect, test } from 'vitest';
import { createKeyFilter } from '../../src/sync/run/key-filter.js';

const filter = (prefix: string, include: string[] | null, exclude: string[] | null) => createKeyFilter({ prefix, includePatterns: include, excludePatterns: exclude });

describe('include/exclude globs, relative to the prefix', () => {
  test('no patterns: no filter at all', () => {
    expect(filter('data/', null, null)).toBeNull();
    expect(filter('data/', [], [])).toBeNull();
  });

  test.each([
    // [prefix, include, exclude, key, synced]
    ['data/', ['*.csv'], null, 'data/a.csv', true],
    ['data/', ['*.csv'], null, 'data/sub/a.csv', false], // * stays within one segment
    ['data/', ['**/*.csv'], null, 'data/sub/deep/a.csv', true], // ** crosses them
    ['data/', ['**/*.csv'], null, 'data/a.csv', true],
    ['data/', ['*.csv'], null, 'data/.hidden.csv', true], // dot files are keys like others
    ['data/', ['file?.txt'], null, 'data/file1.txt', true],
    ['data/', ['file?.txt'], null, 'data/file10.txt', false],
    ['data/', ['[ab].bin'], null, 'data/b.bin', true],
    ['data/', ['[ab].bin'], null, 'data/c.bin', false],
    ['data/', ['*.{csv,json}'], null, 'data/x.json', true],
    ['data/', ['*.{csv,json}'], null, 'data/x.xml', false],
    ['data/', null, ['tmp/**'], 'data/tmp/a/b', false],
    ['data/', null, ['tmp/**'], 'data/keep/a', true],
    ['data/', ['**'], ['**/*.tmp'], 'data/a/b.tmp', false], // an exclude wins over an include
    ['data/', ['**'], ['**/*.tmp'], 'data/a/b.txt', true],
    ['data', ['*.csv'], null, 'data/a.csv', true], // a prefix without its slash: relative to the folder
    ['', ['logs/*.gz'], null, 'logs/a.gz', true],
    ['', ['logs/*.gz'], null, 'other/logs/a.gz', false], // patterns are anchored at the prefix
  ])('prefix %j include %j exclude %j: %s → %s', (prefix, include, exclude, key, synced) => {
    expect(filter(prefix, include, exclude)!(key)).toBe(synced);
  });
});
