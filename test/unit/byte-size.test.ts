import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/config/byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['10485760', 10485760],
    ['8MiB', 8 * 1024 ** 2],
    ['8 mib', 8 * 1024 ** 2],
    ['10MB', 10_000_000],
    ['64KiB', 65536],
    ['5GiB', 5 * 1024 ** 3],
    ['1.5MiB', 1.5 * 1024 ** 2],
    ['10 * 1024 * 1024', 10485760],
    ['10*1024*1024', 10485760],
    [' 4 * 1MiB ', 4 * 1024 ** 2],
    ['0', 0],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toEqual({ bytes });
  });

  it.each(['', 'abc', '-1', '1e9', '10 *', '* 10', '10 ** 2', '10 + 5', "require('fs')", '1.3', '8XB', '(10)'])(
    '%j is refused with a reason',
    (text) => {
      const result = parseByteSize(text);
      expect(result).toHaveProperty('error');
      expect((result as { error: string }).error.length).toBeGreaterThan(3);
    },
  );
});
