import { MAX_PAGE_SIZE } from '../config/env.js';
import { hasUnstorableText } from '../db/storable-text.js';
import { InputError } from './errors.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** One page of a keyset-paginated listing; `cursors[i]` is the cursor of `nodes[i]`. */
export interface Page<T> {
  nodes: T[];
  cursors: string[];
  totalCount: number;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export function pageSize(first: number | null | undefined, defaultSize: number, field = 'first'): number {
  if (first === undefined || first === null) return defaultSize;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new InputError(field, `${field} must be an integer between 0 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/** An offset into a listing: absent → 0. */
export function pageOffset(offset: number | null | undefined, field = 'offset'): number {
  const skip = offset ?? 0;
  if (!Number.isSafeInteger(skip) || skip < 0) throw new InputError(field, `${field} must be a non-negative integer`);
  return skip;
}

/** The connections that hand out cursors. A cursor names its own, so another connection's is refused. */
export const CURSOR_CONNECTIONS = ['jobs', 'runs', 'objects', 'webhookDeliveries'] as const;
export type CursorConnection = (typeof CURSOR_CONNECTIONS)[number];

const isCursorConnection = (value: unknown): value is CursorConnection => CURSOR_CONNECTIONS.includes(value as CursorConnection);

export function encodeCursor(connection: CursorConnection, values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([connection, ...values])).toString('base64url');
}

/**
 * The instants a timestamp cursor may hold: years 1 to 9999. Every stored row is inside (rows are
 * stamped when written); outside, `new Date` gives an Invalid Date past ±8.64e15 ms, and PostgreSQL
 * refuses a timestamp before 4713 BC or past 294276 AD (its driver writes years from 10000 on badly).
 */
export const MIN_CURSOR_TIME = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
export const MAX_CURSOR_TIME = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/** What a cursor value may be: a string, an integer (a row id), or an instant (kept as ms since 1970). */
export type CursorValueKind = 'string' | 'number' | 'timestamp';
type CursorValue<K> = K extends 'string' ? string : K extends 'timestamp' ? Date : number;

/**
 * A value both databases can store and compare: a string without a NUL or a lone surrogate (`\p{Cs}`
 * in a `u` regex; a pair is one code point), a safe integer, or for a timestamp a safe integer within
 * MIN_CURSOR_TIME..MAX_CURSOR_TIME.
 */
function isCursorValue(value: unknown, kind: CursorValueKind): boolean {
  if (kind === 'string') return typeof value === 'string' && !hasUnstorableText(value);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return false;
  return kind === 'number' || (value >= MIN_CURSOR_TIME && value <= MAX_CURSOR_TIME);
}

/**
 * Decodes an opaque cursor made by `encodeCursor` for `connection`, checking each value against
 * `shape`; a 'timestamp' comes back as a Date. A cursor is the client's to forge: anything
 * `encodeCursor` could not have made for this connection is refused, naming `field`.
 */
export function decodeCursor<T extends readonly CursorValueKind[]>(
  cursor: string,
  connection: CursorConnection,
  shape: T,
  field = 'after',
): { [K in keyof T]: CursorValue<T[K]> } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (Array.isArray(decoded) && isCursorConnection(decoded[0]) && decoded[0] !== connection) {
    throw new InputError(field, `${field} is a cursor of ${decoded[0]}, not of ${connection}`);
  }
  // A cursor without a connection name, as clients may hold from earlier versions, cannot say which
  // connection made it: it is read as this one's (its first value is a number, never a name).
  const values: unknown = Array.isArray(decoded) && decoded[0] === connection ? decoded.slice(1) : decoded;
  if (!Array.isArray(values) || values.length !== shape.length || !values.every((value, i) => isCursorValue(value, shape[i]!))) {
    throw new InputError(field, `${field} is not a valid cursor`);
  }
  return values.map((value, i) => (shape[i] === 'timestamp' ? new Date(value as number) : value)) as { [K in keyof T]: CursorValue<T[K]> };
}

/** Fetches one row more than asked for, to know whether there is a next page. */
export function toPage<T>(rows: T[], size: number, totalCount: number, after: unknown, cursorOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, size);
  return {
    nodes,
    cursors: nodes.map(cursorOf),
    totalCount,
    hasNextPage: rows.length > size,
    // "" reads as no cursor, as the list functions read it.
    hasPreviousPage: Boolean(after),
  };
}
