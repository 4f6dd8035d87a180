import { describe, expect, test } from 'vitest';
import { ContiguousPrefix, planSpans, resumeOffset } from '../../src/sync/transfer/chunk-plan.js';

describe('planSpans', () => {
  test.each([
    { size: 0, chunk: 10, from: 0, expected: [] },
    { size: 1, chunk: 10, from: 0, expected: [[0, 1]] },
    { size: 10, chunk: 10, from: 0, expected: [[0, 10]] },
    { size: 11, chunk: 10, from: 0, expected: [[0, 10], [10, 11]] },
    { size: 25, chunk: 10, from: 10, expected: [[10, 20], [20, 25]] },
    { size: 25, chunk: 10, from: 25, expected: [] },
    { size: 25, chunk: 10, from: 13, expected: [[13, 23], [23, 25]] },
  ])('size $size chunk $chunk from $from', ({ size, chunk, from, expected }) => {
    expect(planSpans(size, chunk, from).map((r) => [r.start, r.end])).toEqual(expected);
  });

  test('covers every byte exactly once', () => {
    const ranges = planSpans(1_000_003, 65_536, 7);
    expect(ranges[0]!.start).toBe(7);
    for (let i = 1; i < ranges.length; i += 1) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
    expect(ranges.at(-1)!.end).toBe(1_000_003);
  });

  test('refuses a non-positive chunk size', () => {
    expect(() => planSpans(10, 0)).toThrow(RangeError);
  });
});

describe('resumeOffset', () => {
  test.each([
    { last: 0, partial: 100, size: 200, expected: 0 },
    { last: 100, partial: undefined, size: 200, expected: 0 },
    { last: 100, partial: 99, size: 200, expected: 0 },
    { last: 100, partial: 100, size: 200, expected: 100 },
    { last: 100, partial: 150, size: 200, expected: 100 },
    { last: 300, partial: 300, size: 200, expected: 0 },
  ])('checkpoint $last, partial $partial, size $size → $expected', ({ last, partial, size, expected }) => {
    expect(resumeOffset(last, partial, size)).toBe(expected);
  });
});

describe('ContiguousPrefix', () => {
  test('advances only over a gap-free prefix, whatever the completion order', () => {
    const prefix = new ContiguousPrefix(0);
    expect(prefix.complete({ start: 20, end: 30 })).toBe(0);
    expect(prefix.complete({ start: 10, end: 20 })).toBe(0);
    expect(prefix.complete({ start: 0, end: 10 })).toBe(30);
    expect(prefix.complete({ start: 40, end: 50 })).toBe(30);
    expect(prefix.complete({ start: 30, end: 40 })).toBe(50);
  });

  test('starts from a resumed checkpoint', () => {
    const prefix = new ContiguousPrefix(100);
    expect(prefix.complete({ start: 100, end: 164 })).toBe(164);
    expect(prefix.end).toBe(164);
  });
});
