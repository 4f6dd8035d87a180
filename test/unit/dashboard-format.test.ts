import { describe, expect, it } from 'vitest';
import { formatBytes, formatRate } from '../../web/src/format.js';

describe("the dashboard's figures", () => {
  it('a size or rate under 1 KiB is a whole number of bytes, not a float with 14 decimals', () => {
    // Observed at the start of a run of small objects: "Throughput 372.60825780463244 B/s".
    expect(formatRate(372.60825780463244)).toBe('373 B/s');
    expect(formatBytes(0.4)).toBe('0 B');
    expect(formatBytes(1023.6)).toBe('1024 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
