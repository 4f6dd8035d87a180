import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/events/event-bus.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';

const event = (kind: SyncProgressEvent['kind'], objectKey: string | null, bytes: number, jobId = 'job-a'): SyncProgressEvent => ({
  kind,
  jobId,
  runId: '1',
  objectKey,
  bytesTransferred: bytes,
  objectSize: 100,
  status: null,
  at: new Date(),
});

async function drain(iterator: AsyncIterator<SyncProgressEvent>, count: number): Promise<SyncProgressEvent[]> {
  const out: SyncProgressEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe('event bus subscriptions', () => {
  it('delivers in order and filters by job', async () => {
    const bus = createEventBus();
    const a = bus.subscribe('job-a');
    const all = bus.subscribe();
    bus.publish(event('RUN_STARTED', null, 0));
    bus.publish(event('RUN_STARTED', null, 0, 'job-b'));
    bus.publish(event('CHUNK', 'k', 10));
    expect((await drain(a, 2)).map((e) => `${e.jobId}:${e.kind}`)).toEqual(['job-a:RUN_STARTED', 'job-a:CHUNK']);
    expect(a.size).toBe(0);
    expect((await drain(all, 3)).map((e) => e.jobId)).toEqual(['job-a', 'job-b', 'job-a']);
    await a.return();
    await all.return();
  });

  it('keeps a slow subscriber bounded: coalesces CHUNKs, never drops OBJECT_DONE or RUN_FINISHED', async () => {
    const bus = createEventBus({ subscriberCapacity: 8 });
    const slow = bus.subscribe('job-a');
    for (let object = 0; object < 50; object += 1) {
      for (let bytes = 10; bytes <= 100; bytes += 10) bus.publish(event('CHUNK', `o${object}`, bytes));
      bus.publish(event('OBJECT_DONE', `o${object}`, 100));
    }
    bus.publish(event('RUN_FINISHED', null, 5000));
    expect(slow.size).toBeLessThanOrEqual(51 + 8);
    const received = await drain(slow, slow.size);
    expect(received.filter((e) => e.kind === 'OBJECT_DONE')).toHaveLength(50);
    expect(received.at(-1)?.kind).toBe('RUN_FINISHED');
    expect(slow.dropped).toBeGreaterThan(0);
    const lastChunkPerObject = new Map<string, number>();
    for (const e of received.filter((x) => x.kind === 'CHUNK')) {
      expect(e.bytesTransferred).toBeGreaterThanOrEqual(lastChunkPerObject.get(e.objectKey ?? '') ?? 0);
      lastChunkPerObject.set(e.objectKey ?? '', e.bytesTransferred);
    }
    await slow.return();
  });

  it('stops delivering after return() and survives a throwing listener', async () => {
    const errors: unknown[] = [];
    const bus = createEventBus({ onListenerError: (error) => errors.push(error) });
    const sub = bus.subscribe('job-a');
    bus.on(() => {
      throw new Error('boom');
    });
    await sub.return();
    bus.publish(event('RUN_STARTED', null, 0));
    expect(sub.size).toBe(0);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
    expect(errors).toHaveLength(1);
  });
});

describe('a subscriber that never reads', () => {
  it('is ended with an error instead of growing without bound', async () => {
    const bus = createEventBus({ subscriberCapacity: 2 });
    const stalled = bus.subscribe('job-a');
    for (let i = 0; i < 1000; i += 1) bus.publish(event('OBJECT_DONE', `o${i}`, 100));
    expect(stalled.size).toBe(0);
    await expect(stalled.next()).rejects.toThrow(/too far behind/);
    expect(await stalled.next()).toEqual({ value: undefined, done: true });
  });
});
