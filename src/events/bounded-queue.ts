import type { SyncProgressEvent } from './progress-event.js';

/**
 * A per-subscriber queue that never blocks the publisher and never grows past `capacity`.
 * When full, a new CHUNK event replaces the queued CHUNK of the same object (progress is
 * cumulative, so the newest one says it all) or, failing that, the oldest queued CHUNK is dropped.
 * Non-CHUNK events (OBJECT_*, RUN_*) are never dropped; a subscriber that falls behind by more than
 * `capacity × OVERFLOW_FACTOR` of them is ended with SubscriberTooSlowError instead of growing memory.
 */
const OVERFLOW_FACTOR = 64;

export class SubscriberTooSlowError extends Error {
  override name = 'SubscriberTooSlowError';
  constructor() {
    super('The subscriber fell too far behind the sync and was disconnected; subscribe again');
  }
}

export class ProgressQueue implements AsyncIterableIterator<SyncProgressEvent> {
  private readonly items: SyncProgressEvent[] = [];
  private waiting: ((result: IteratorResult<SyncProgressEvent>) => void) | null = null;
  private closed = false;
  private failure: SubscriberTooSlowError | null = null;
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly onClose: () => void = () => {},
  ) {}

  push(event: SyncProgressEvent): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.items.length >= this.capacity && event.kind === 'CHUNK' && this.coalesce(event)) return;
    if (this.items.length >= this.capacity) this.dropOldestChunk();
    if (this.items.length >= this.capacity * OVERFLOW_FACTOR) {
      this.failure = new SubscriberTooSlowError();
      void this.return();
      return;
    }
    this.items.push(event);
  }

  private coalesce(event: SyncProgressEvent): boolean {
    const index = this.items.findLastIndex(
      (queued) => queued.kind === 'CHUNK' && queued.runId === event.runId && queued.objectKey === event.objectKey,
    );
    if (index === -1) return false;
    this.items[index] = event;
    this.dropped += 1;
    return true;
  }

  private dropOldestChunk(): void {
    const index = this.items.findIndex((queued) => queued.kind === 'CHUNK');
    if (index === -1) return;
    this.items.splice(index, 1);
    this.dropped += 1;
  }

  get size(): number {
    return this.items.length;
  }

  next(): Promise<IteratorResult<SyncProgressEvent>> {
    const item = this.items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<SyncProgressEvent>> {
    if (!this.closed) {
      this.closed = true;
      this.items.length = 0;
      this.onClose();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
