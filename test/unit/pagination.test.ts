import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/services/errors.js';
import { parseJobId, parseRowId } from '../../src/services/ids.js';
import { decodeCursor, encodeCursor, MAX_CURSOR_TIME, MIN_CURSOR_TIME, pageSize, toPage } from '../../src/services/pagination.js';

describe('page size', () => {
  it('defaults, accepts 0..1000, refuses the rest naming the field', () => {
    expect(pageSize(undefined, 100)).toBe(100);
    expect(pageSize(null, 100)).toBe(100);
    expect(pageSize(0, 100)).toBe(0);
    expect(pageSize(1000, 100)).toBe(1000);
    for (const bad of [1001, -1, 1.5, Number.NaN]) {
      expect(() => pageSize(bad, 100)).toThrow(InputError);
    }
    try {
      pageSize(1001, 100, 'limit');
    } catch (error) {
      expect((error as InputError).field).toBe('limit');
    }
  });
});

describe('cursors', () => {
  it('round-trip typed keyset values', () => {
    const cursor = encodeCursor('jobs', [1700000000000, 'a-b']);
    expect(decodeCursor(cursor, 'jobs', ['number', 'string'] as const)).toEqual([1700000000000, 'a-b']);
  });

  it.each(['', 'not-base64!', encodeCursor('jobs', ['x']), encodeCursor('jobs', [1, 2]), encodeCursor('jobs', [1, 'nul\u0000']), Buffer.from('{"a":1}').toString('base64url')])(
    'refuse the malformed cursor %j',
    (cursor) => {
      expect(() => decodeCursor(cursor, 'jobs', ['number', 'string'] as const)).toThrow(/after is not a valid cursor/);
    },
  );

  it('give a timestamp back as a Date', () => {
    const [at, id] = decodeCursor(encodeCursor('jobs', [1700000000000, 'a-b']), 'jobs', ['timestamp', 'string'] as const);
    expect(at).toEqual(new Date(1700000000000));
    expect(id).toBe('a-b');
    expect(decodeCursor(encodeCursor('jobs', [MIN_CURSOR_TIME]), 'jobs', ['timestamp'] as const)[0].toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(decodeCursor(encodeCursor('jobs', [MAX_CURSOR_TIME]), 'jobs', ['timestamp'] as const)[0].toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(decodeCursor(encodeCursor('jobs', ['\u{1F600}']), 'jobs', ['string'] as const)).toEqual(['\u{1F600}']);
  });

  // Forged: no Date holds 1e300 or 9e15 ms (Invalid time value), PostgreSQL keeps no timestamp
  // before 4713 BC, and neither database stores a NUL or a lone surrogate.
  it.each([
    ['WzFlMzAwLCJ4Il0', ['timestamp', 'string']],
    [encodeCursor('jobs', [9e15, 'x']), ['timestamp', 'string']],
    [encodeCursor('jobs', [-8.64e15, 'x']), ['timestamp', 'string']],
    [encodeCursor('jobs', [MIN_CURSOR_TIME - 1, 'x']), ['timestamp', 'string']],
    [encodeCursor('jobs', [MAX_CURSOR_TIME + 1, 'x']), ['timestamp', 'string']],
    [encodeCursor('jobs', [1700000000000.5, 'x']), ['timestamp', 'string']],
    [encodeCursor('jobs', [-1e300, '\ud800']), ['timestamp', 'string']],
    [encodeCursor('jobs', [1700000000000, '\ud800']), ['timestamp', 'string']],
    [encodeCursor('jobs', [1700000000000, 'x\udfff']), ['timestamp', 'string']],
    [encodeCursor('jobs', [1e300]), ['number']],
    [encodeCursor('jobs', [1.5]), ['number']],
    [Buffer.from('[9007199254740993]').toString('base64url'), ['number']],
  ] as const)('refuse the forged cursor %s as %j', (cursor, shape) => {
    expect(() => decodeCursor(cursor, 'jobs', shape)).toThrow(InputError);
    expect(() => decodeCursor(cursor, 'jobs', shape, 'after')).toThrow(/^after is not a valid cursor$/);
  });

  it('know whether a next page exists from one extra row', () => {
    const page = toPage([1, 2, 3], 2, 10, undefined, (n) => String(n));
    expect(page).toEqual({ nodes: [1, 2], cursors: ['1', '2'], totalCount: 10, hasNextPage: true, hasPreviousPage: false });
  });
});

describe('ids', () => {
  it('accept a UUID with surrounding whitespace and refuse anything else', () => {
    expect(parseJobId(' 3F2504E0-4F89-11D3-9A0C-0305E82C3301 ')).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    for (const bad of ['', 'abc', 42, null, '3f2504e0-4f89-11d3-9a0c-0305e82c330', '3f2504e0-4f89-11d3-9a0c-0305e82c3301x']) {
      expect(() => parseJobId(bad)).toThrow('Invalid job ID');
    }
    expect(parseRowId('42', 'runId')).toBe(42);
    expect(() => parseRowId('0', 'runId')).toThrow(/runId/);
  });
});
