import { compareBytewise } from '../checkpoint/key-span.js';
import type { RemoteObject } from '../transport/s3-connector.js';

/** A listed page, and where a resumed listing may start once the page is recorded: a key, or null for the start. */
export interface PositionedPage {
  objects: RemoteObject[];
  position: string | null;
}

export interface KeyRangeListingInput {
  /** One listing of the prefix, from after `startAfter` (S3's start-after) to its end, page by page. */
  listPages(startAfter: string | undefined): AsyncIterable<RemoteObject[]>;
  /** Where the listing starts: after this key (a resumed run), or null for the start. */
  after: string | null;
  /** Keys splitting the listing into ranges, in UTF-8 byte order, each after `after`. */
  boundaries: string[];
  signal: AbortSignal;
  /** Told why the ranges were given up for one listing in sequence (from the last verified key on). */
  onFallback?(reason: string): void;
}

/** A range's listing ran out of keys (no key past its end, or none at all). */
const END = Symbol('end');
type SeamKey = string | typeof END;

interface KeyRange {
  /** Listed with start-after this key; null: from the start. */
  lower: string | null;
  /** The range's last key (inclusive); null: to the end of the listing. */
  upper: string | null;
  /** The first key the range's listing returned (any key, even one out of range); undefined: none yet. */
  first: SeamKey | undefined;
  /** The first key past `upper`, set when the range's last page is fetched (before it is handed out); undefined while it lists. */
  past: SeamKey | undefined;
  /** Every page of the range has been handed out. */
  finished: boolean;
  /** The last key of the range handed out so far. */
  lastKept: string | null;
  /** Set when the range's listing returned a key below one before it (UTF-8 byte order). */
  disorder?: string;
}

type Step = { index: number; result: IteratorResult<RemoteObject[]> } | { index: number; error: unknown };

/** The prefix's listing from `after` on: as key ranges side by side at `boundaries`, or in one sequence when there are none. */
export function listPrefix(input: KeyRangeListingInput): AsyncIterable<PositionedPage> {
  return input.boundaries.length === 0 ? listInSequence(input.listPages, input.after) : listKeyRanges(input);
}

/**
 * Lists one prefix as several key ranges side by side: range i is listed with start-after
 * boundary i and stops at the first key past boundary i+1. Pages are handed out as they come,
 * each with the position a resumed listing may start from.
 *
 * The ranges are checked where they meet, not assumed to meet: the first key past range i's end
 * must be the first key range i+1's own listing returned (or both listings ran out), so nothing
 * lies between range i's last key and range i+1's first. Cutting a range at its first key past its
 * end needs a server listing in UTF-8 byte order (S3 does); every key a range reads is checked to
 * come in that order (`rangePages`), and the caller uses ranges only for a job whose last whole
 * listing did (listing-boundaries.ts). When a seam does not match (a server that ignores
 * start-after, a key added or removed at the seam meanwhile) or a range's listing fails, the ranges
 * stop and the listing goes on in one sequence from the last key verified; when a range reads a key
 * out of order, from the start. Keys listed twice are the caller's to drop.
 */
export async function* listKeyRanges(input: KeyRangeListingInput): AsyncGenerator<PositionedPage> {
  const { listPages, signal } = input;
  const lowers = [input.after, ...input.boundaries];
  const ranges: KeyRange[] = lowers.map((lower, index) => ({
    lower,
    upper: input.boundaries[index] ?? null,
    first: undefined,
    past: undefined,
    finished: false,
    lastKept: null,
  }));
  const iterators = ranges.map((range) => rangePages(range, listPages(range.lower ?? undefined))[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<Step>>();
  const pull = (index: number) => {
    const step = iterators[index]!.next().then(
      (result): Step => ({ index, result }),
      (error: unknown): Step => ({ index, error }),
    );
    pending.set(index, step);
  };
  ranges.forEach((_, index) => pull(index));

  let fallback: string | undefined;
  try {
    while (pending.size > 0 && fallback === undefined) {
      const step = await Promise.race(pending.values());
      pending.delete(step.index);
      const range = ranges[step.index]!;
      if ('error' in step) {
        if (signal.aborted) throw step.error;
        fallback = `listing key range ${step.index + 1} of ${ranges.length} failed: ${step.error instanceof Error ? step.error.message : String(step.error)}`;
        break;
      }
      if (step.result.done) range.finished = true;
      else pull(step.index);
      fallback = range.disorder ?? seamMismatch(ranges);
      if (step.result.done || fallback !== undefined) continue;
      const objects = step.result.value;
      if (objects.length === 0) continue;
      range.lastKept = objects[objects.length - 1]!.key;
      yield { objects, position: verifiedPosition(ranges) };
    }
  } finally {
    for (const [index] of pending) void iterators[index]!.return?.(undefined).catch(() => {});
  }
  if (fallback === undefined || signal.aborted) return;
  input.onFallback?.(fallback);
  // Out of order, start-after may skip keys anywhere: only a listing from the start is whole.
  const outOfOrder = ranges.some((range) => range.disorder !== undefined);
  yield* listInSequence(listPages, outOfOrder ? null : verifiedPosition(ranges));
}

/**
 * One listing from after `after` (null: the start). Its last key is a safe place to resume from
 * with start-after while its keys come in ascending UTF-8 byte order (S3's ListObjectsV2 does); a
 * repeat of the last key is a duplicate, not disorder (the page handler drops it). Once a key
 * arrives out of order the position is given up for the rest of the listing (null: a resumed run
 * lists from the start).
 */
export async function* listInSequence(
  listPages: KeyRangeListingInput['listPages'],
  after: string | null,
): AsyncGenerator<PositionedPage> {
  let last = after;
  let ordered = true;
  for await (const objects of listPages(after ?? undefined)) {
    for (const { key } of objects) {
      const order = last === null ? 1 : compareBytewise(key, last);
      if (order < 0) ordered = false;
      if (order > 0) last = key;
    }
    yield { objects, position: ordered ? last : null };
  }
}

/**
 * The pages of one range: cut at the first key past its end, where its listing stops. Every key
 * read, the rest of the page past the cut included, must come in ascending byte order: a server
 * listing in another order (s3rver walks its folders) can hold a key of this range after the cut,
 * where no seam check would see it. A key out of order ends the range with `disorder` set.
 */
async function* rangePages(range: KeyRange, pages: AsyncIterable<RemoteObject[]>): AsyncGenerator<RemoteObject[]> {
  let previous: string | null = null;
  for await (const page of pages) {
    if (range.first === undefined && page.length > 0) range.first = page[0]!.key;
    for (const { key } of page) {
      if (previous !== null && compareBytewise(key, previous) < 0) {
        range.disorder = `key range listing out of order: "${key}" came after "${previous}"`;
        return;
      }
      previous = key;
    }
    const upper = range.upper;
    const cut = upper === null ? -1 : page.findIndex((object) => compareBytewise(object.key, upper) > 0);
    if (cut >= 0) {
      range.past = page[cut]!.key;
      yield page.slice(0, cut);
      return;
    }
    yield page;
  }
  range.first ??= END;
  range.past = END;
}

/** Why two finished neighbours do not meet, or undefined while every seam known so far matches. */
function seamMismatch(ranges: KeyRange[]): string | undefined {
  for (let index = 0; index + 1 < ranges.length; index += 1) {
    const { past } = ranges[index]!;
    const next = ranges[index + 1]!.first;
    if (past === undefined || next === undefined || past === next) continue;
    return `key ranges ${index + 1} and ${index + 2} do not meet: the first key after "${ranges[index]!.upper}" was ${describe(past)} in one listing, ${describe(next)} in the other`;
  }
  return undefined;
}

const describe = (key: SeamKey | undefined) => (typeof key === 'string' ? `"${key}"` : 'none');

/**
 * The last key before which every key has been handed out: the ranges whose ends are verified
 * (every page handed out, and meeting the next one's first key) are behind it, then the first range
 * still open, as far as it has come. A range whose last page is fetched but not yet handed out is
 * open: its `past` is known, but the keys before its cut are not the consumer's yet.
 */
function verifiedPosition(ranges: KeyRange[]): string | null {
  for (let index = 0; index < ranges.length; index += 1) {
    const range = ranges[index]!;
    const verified = range.finished && (index + 1 === ranges.length || range.past === ranges[index + 1]!.first);
    if (!verified) return range.lastKept ?? range.lower;
  }
  const last = ranges[ranges.length - 1]!;
  return last.lastKept ?? last.lower;
}
