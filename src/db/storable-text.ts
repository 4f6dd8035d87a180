/**
 * Text no database here stores as given: a NUL (SQLite cuts the value there, PostgreSQL refuses it)
 * or a lone surrogate (not Unicode: PostgreSQL refuses it in JSON, and UTF-8 cannot carry it, so a
 * driver writes U+FFFD instead). In a `u` regex `\p{Cs}` matches only an unpaired surrogate.
 */
export function hasUnstorableText(text: string): boolean {
  return /[\0\p{Cs}]/u.test(text);
}

/**
 * The same, or any other control character (tab, line breaks, …) or Unicode's own line and
 * paragraph separators (U+2028, U+2029): for text with no use for them.
 */
export function hasControlOrUnstorableText(text: string): boolean {
  return /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u.test(text);
}
