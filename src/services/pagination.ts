import { MAX_PAGE_SIZE } from '../config/env.js';
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

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes an opaque cursor made by `encodeCursor`, checking each value's type against `shape`. */
export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  shape: T,
  field = 'after',
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const valid =
    Array.isArray(values) &&
    values.length === shape.length &&
    values.every((value, i) => typeof value === shape[i] && (typeof value === 'number' ? Number.isFinite(value) : !value.includes('\0')));
  if (!valid) throw new InputError(field, `${field} is not a valid cursor`);
  return values as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

/** Fetches one row more than asked for, to know whether there is a next page. */
export function toPage<T>(rows: T[], size: number, totalCount: number, after: unknown, cursorOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, size);
  return {
    nodes,
    cursors: nodes.map(cursorOf),
    totalCount,
    hasNextPage: rows.length > size,
    hasPreviousPage: after !== undefined && after !== null,
  };
}
