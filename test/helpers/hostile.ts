import fc from 'fast-check';

/**
 * Strings a hostile or careless client sends: any Unicode (lone surrogates included), control
 * characters and NUL, path tricks, numbers in forms parsers disagree on, very long values.
 */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '\t', '\n', '\0', '\u007f', '\u0085', '\u202e', '\ufeff', '\ud800', '.', '/', '\\', '%', '+', '-', '*', '&', '=', '"', "'", ':', '{', '}', 'é', '𝕻'), maxLength: 30 }),
  fc.constantFrom('', ' ', '\0', 'ab\0cd', '../../etc/passwd', 'a\\..\\..\\x', '+5', ' 5', '1e3', '-0', '0x10', '00', '1.0', 'NaN', 'Infinity', 'null', 'undefined', '%00', '%ZZ', '__proto__', 'constructor', 'S3', 's3 ', 'hourly', '* * * * * *', 'Europe/Paris', 'UTC\0'),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'x'.repeat(n)),
);

/** Any JSON value a client could send where a specific one is expected. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.array(hostileText, { maxLength: 3 }) },
);

/** A value for a field: usually right (so each case tests few wrong fields at once), else hostile. */
export const fieldOr = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 2, arbitrary: good }, { weight: 1, arbitrary: hostileJson });

/**
 * Text that says nothing about the server's inside: no stack frames (`at fn (/path/file.js:1:2)`,
 * `at node:internal/…:1:2`), no SQL, no file paths of the source. An input echoed back in a
 * validation message (`… got invalid value { :0:0: 0 } at "input.name"`) is not a stack frame.
 */
export function leaksInternals(text: string): boolean {
  return /\bat (?:[^()"\n]+? \()?(?:\/|node:|file:|\[)[^\s()"]*:\d+:\d+|node_modules|\/src\/.+\.ts|\binsert into\b|\bselect .+ from\b|SQLITE_|DriverException/i.test(text);
}

/** encodeURIComponent, or undefined for strings it cannot encode (lone surrogates). */
export function encodeOrSkip(text: string): string | undefined {
  try {
    return encodeURIComponent(text);
  } catch {
    return undefined;
  }
}
