import { createWaiters } from '../../config/waiters.js';

/** A byte range of an object: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The spans (one GET each) still to fetch for an object of `size` bytes, from `from` on, each at
 * most `spanSize` (a whole number of chunks, the checkpoint unit; see chunkBoundaries).
 */
export function planSpans(size: number, spanSize: number, from = 0): ByteRange[] {
  if (spanSize <= 0) throw new RangeError('spanSize must be positive');
  const ranges: ByteRange[] = [];
  for (let start = Math.max(0, from); start < size; start += spanSize) {
    ranges.push({ start, end: Math.min(size, start + spanSize) });
  }
  return ranges;
}

/** Where a resumed object starts: the checkpoint, unless the partial file is shorter than it. */
export function resumeOffset(lastPosition: number, partialSize: number | undefined, size: number): number {
  if (partialSize === undefined || lastPosition <= 0 || lastPosition > size) return 0;
  return partialSize >= lastPosition ? lastPosition : 0;
}

/**
 * Tracks ranges finished out of order and reports the longest contiguous prefix from `start`:
 * the only position that is safe to checkpoint.
 */
export class ContiguousPrefix {
  #end: number;
  readonly #done = new Map<number, number>();
  readonly #waiters = createWaiters<number>();

  constructor(start: number) {
    this.#end = start;
  }

  get end(): number {
    return this.#end;
  }

  /** Records a finished range; returns the (possibly unchanged) contiguous end. */
  complete(range: ByteRange): number {
    this.#done.set(range.start, range.end);
    for (let next = this.#done.get(this.#end); next !== undefined; next = this.#done.get(this.#end)) {
      this.#done.delete(this.#end);
      this.#end = next;
    }
    this.#waiters.wake((end) => end <= this.#end);
    return this.#end;
  }

  /** Resolves once the prefix reaches `end` (at once if it has); `signal` resolves it too. */
  reached(end: number, signal: AbortSignal): Promise<void> {
    if (this.#end >= end || signal.aborted) return Promise.resolve();
    return this.#waiters.wait(end, signal);
  }
}
