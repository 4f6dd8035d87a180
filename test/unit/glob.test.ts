import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, test } from 'vitest';
import { compileGlob, GlobSyntaxError, MAX_GLOB_ALTERNATIVES, MAX_GLOB_WILDCARDS } from '../../src/sync/run/glob.js';

const matches = (pattern: string, key: string) => compileGlob(pattern).matches(key);

describe('the filters’ globs', () => {
  test('agree with picomatch (dot: true) on the syntax the README documents (2,000 random patterns, 5 keys each)', () => {
    const atom = fc.constantFrom('a', 'b', '.', '-', 'x', '*', '?', '[ab]', '[^a]', '[!b]', '[a-c]', '{a,b}', '{a,*b}', '{a/b,c}', '\\*', '*.');
    const segment = fc.oneof({ weight: 4, arbitrary: fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('')) }, { weight: 1, arbitrary: fc.constant('**') });
    // `**` is a globstar as a whole segment; picomatch reads it otherwise beside braces (`**{a,b}`), which the README does not document.
    const pattern = fc
      .array(segment, { minLength: 1, maxLength: 4 })
      .map((segments) => segments.join('/'))
      .filter((p) => p.split('/').every((s) => s === '**' || !s.includes('**')));
    const key = fc.array(fc.constantFrom('a', 'b', 'ab', 'ba', 'bb', '.a', 'a.b', '-', 'x', 'c', '*', 'a*'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(pattern, fc.array(key, { minLength: 5, maxLength: 5 }), (p, keys) => {
        // picomatch reads `[!b]` as the class of "!" and "b"; the README's `[!…]` negates, like `[^…]`.
        const expected = picomatch(p.replaceAll('[!', '[^'), { dot: true, strictBrackets: true });
        for (const k of keys) expect(matches(p, k), `${p} against ${k}`).toBe(expected(k));
      }),
      { numRuns: 2000, seed: 20261203 },
    );
  });

  test.each([
    ['*.csv', 'a.csv', true],
    ['*.csv', 'sub/a.csv', false],
    ['**/*.csv', 'a.csv', true],
    ['**/*.csv', 'a/b/c.csv', true],
    ['2026/**', '2026/11/x.bin', true],
    ['2026/**', '2026', true],
    ['*/**', 'a', false],
    ['{tmp,cache}/**', 'cache/x', true],
    ['report-??.{csv,json}', 'report-01.json', true],
    ['report-??.{csv,json}', 'report-1.csv', false],
    ['[!a]*', 'bcd', true],
    ['[!a]*', 'abc', false],
    ['?', '\u{1f600}', true], // one character, not one UTF-16 unit
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
    ['!*.csv', 'a.csv', false], // no negation: a leading ! is a character (use exclude)
    ['!*.csv', '!a.csv', true],
    ['@(a|b)', 'a', false], // no extended globs either
    ['a/*', 'a/', false], // a lone * is at least one character
    ['**', 'a/../b', false], // a key with a . or .. segment matches nothing
    ['./a/*', 'a/b', true],
    ['a/**/**/b', 'a/b', true],
  ])('%s against %s: %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
  });

  test('time linear in the key: patterns whose regular expressions backtrack for hours answer at once', () => {
    // picomatch: `*-*-*-*.csv` against 300 dashes took 1.6 s; each further `*` multiplies that by the key's length.
    expect(matches('*a*a*a*a*a*a*a*a*a*a*a*a*ab', 'a'.repeat(1000))).toBe(false);
    expect(matches('*-*-*-*-*-*-*-*.csv', '-'.repeat(1000))).toBe(false);
    expect(matches('**/a/**/a/**/a/**/a/**/b', 'a/'.repeat(500))).toBe(false);
    expect(matches('{a,b}*{a,b}*{a,b}*{a,b}*c', 'ab'.repeat(500))).toBe(false);
    expect(matches('*a*a*a*a*a*a*a*a*a*a*a*a*ab', `${'a'.repeat(1000)}b`)).toBe(true);
  });

  test.each([
    ['a[bc', 'a [ without its ]'],
    ['[z-a]', 'a range out of order'],
    [Array.from({ length: MAX_GLOB_WILDCARDS + 1 }, () => '*').join('x'), `more than ${MAX_GLOB_WILDCARDS} wildcards`],
    [`{${Array.from({ length: MAX_GLOB_ALTERNATIVES + 1 }, (_, i) => i).join(',')}}`, `more than ${MAX_GLOB_ALTERNATIVES} {…} alternatives`],
  ])('refuses %s: %s', (pattern, reason) => {
    expect(() => compileGlob(pattern)).toThrow(GlobSyntaxError);
    expect(() => compileGlob(pattern)).toThrow(reason);
  });
});
