import { describe, expect, test } from 'vitest';
import { compareBytewise, rowsOfKeys } from '../../src/sync/checkpoint/key-span.js';

const bytewise = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** A table of stored keys answering the two lookups as SQLite would (BINARY order); records which were asked. */
function table(stored: string[]) {
  const asked: string[] = [];
  const query = async (key: { $in: string[] } | { $gte: string; $lte: string }, limit?: number) => {
    asked.push('$in' in key ? 'in' : 'span');
    const rows = stored
      .filter((k) => ('$in' in key ? key.$in.includes(k) : compareBytewise(k, key.$gte) >= 0 && compareBytewise(k, key.$lte) <= 0))
      .map((k) => ({ key: k }));
    return limit === undefined ? rows : rows.slice(0, limit);
  };
  return { query, asked };
}

describe('key spans', () => {
  test('compareBytewise orders like UTF-8 bytes, surrogate pairs after U+E000–U+FFFF included', () => {
    const keys = ['a', 'ab', 'b', 'Z', 'é', '\uffff', '\ue000', '😀', '𝄞x', 'a/😀', 'a/\uf000', '', 'a\u0000', '文件'];
    for (const a of keys) for (const b of keys) expect(Math.sign(compareBytewise(a, b)), `${a} vs ${b}`).toBe(bytewise(a, b));
  });

  test('a sorted page is read with one span; keys stored but not asked for are left out', async () => {
    const t = table(['k/1', 'k/2', 'k/2a', 'k/3', 'k/5', 'z']);
    const rows = await rowsOfKeys(['k/1', 'k/2', 'k/3', 'k/4'], t.query);
    expect(rows.map((r) => r.key).sort()).toEqual(['k/1', 'k/2', 'k/3']);
    expect(t.asked).toEqual(['span']);
  });

  test('keys out of order and outside the BMP are all found', async () => {
    const stored = ['b', '\uf000', '😀', 'a', 'c'];
    const t = table(stored);
    const rows = await rowsOfKeys(['😀', 'a', '\uf000', 'c', 'x'], t.query);
    expect(rows.map((r) => r.key).sort()).toEqual(['a', 'c', '\uf000', '😀'].sort());
  });

  test('a span holding many more stored rows than asked for falls back to the lookup by key', async () => {
    const stored = Array.from({ length: 500 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    const t = table(stored);
    const rows = await rowsOfKeys(['k/0000', 'k/0499'], t.query);
    expect(rows.map((r) => r.key)).toEqual(['k/0000', 'k/0499']);
    expect(t.asked).toEqual(['span', 'in']);
  });
});
