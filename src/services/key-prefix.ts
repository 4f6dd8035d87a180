import { hasUnstorableText } from '../db/storable-text.js';
import { InputError } from './errors.js';

/** S3's own limit on a key, so on a prefix of one. */
const MAX_PREFIX_BYTES = 1024;

/** A key-prefix filter as given by a client: null/"" means no filter. */
export function parseKeyPrefix(raw: unknown, field = 'keyPrefix'): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw !== 'string') throw new InputError(field, `${field} must be a string`);
  if (hasUnstorableText(raw)) throw new InputError(field, `${field} must not contain a NUL character or an unpaired surrogate`);
  if (Buffer.byteLength(raw) > MAX_PREFIX_BYTES) throw new InputError(field, `${field} must be at most ${MAX_PREFIX_BYTES} bytes`);
  return raw;
}

/**
 * The keys starting with `prefix` as a range `[prefix, upper)`, which the (job_id, object_key) index
 * answers without a scan; `%` and `_` are plain characters here (no LIKE). `upper` is the prefix with
 * its last code point incremented: keys compare by code point (SQLite's BINARY collation, UTF-8 byte
 * order; PostgreSQL's "C" collation). null when no upper bound exists (the prefix ends in U+10FFFF).
 */
export function keyPrefixRange(prefix: string): { gte: string; lt: string | null } {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return { gte: prefix, lt: points.join('') + String.fromCodePoint(next) };
    }
  }
  return { gte: prefix, lt: null };
}
