import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/events/event-bus.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { followCommittedBytes } from '../../src/http/committed-bytes.js';
import { chunkEvent } from '../helpers/progress-events.js';

const chunk = (jobId: string, runId: string, objectKey: string, bytesTransferred: number) => chunkEvent({ jobId, runId, objectKey, bytesTransferred, objectSize: 1000 });

/** A bus, its follower, and the growth each listener was told for each event published. */
function follow() {
  const bus = createEventBus();
  const committed = followCommittedBytes(bus);
  const told: Array<Array<{ kind: string; grown: number }>> = [[], []];
  for (const seen of told) committed.on((event, grown) => seen.push({ kind: event.kind, grown }));
  const growthOf = (event: SyncProgressEvent): number => {
    bus.publish(event);
    return told[0]!.at(-1)!.grown;
  };
  return { bus, committed, told, growthOf };
}

describe('the committed prefix of objects in flight', () => {
  it('counts each byte once as the prefix grows, per object and run, and tells every listener the same', () => {
    const { committed, told, growthOf } = follow();
    expect(growthOf(chunk('j1', '1', 'a', 300))).toBe(300);
    expect(growthOf(chunk('j1', '1', 'a', 700))).toBe(400);
    expect(growthOf(chunk('j1', '1', 'a', 700)), 'a repeated event').toBe(0);
    expect(growthOf(chunk('j1', '1', 'a', 500)), 'an event out of order').toBe(0);
    expect(growthOf(chunk('j1', '2', 'a', 200)), 'the same key in another run').toBe(200);
    expect([...committed.inFlightJobs()]).toEqual(['j1', 'j1']);
    expect(told[1], 'the second listener').toEqual(told[0]);
  });

  it('an object that ended, or a run that ended here or was helped, is no longer in flight; other runs stay', () => {
    const { committed, growthOf } = follow();
    growthOf(chunk('j1', '1', 'a', 10));
    growthOf(chunk('j1', '1', 'b', 10));
    growthOf(chunk('j2', '12', 'c', 10));
    growthOf(chunk('j3', '13', 'd', 10));
    growthOf({ ...chunk('j1', '1', 'a', 10), kind: 'OBJECT_DONE' });
    expect([...committed.inFlightJobs()].sort()).toEqual(['j1', 'j2', 'j3']);
    growthOf({ ...chunk('j1', '1', 'b', 10), kind: 'RUN_FINISHED', objectKey: null });
    expect([...committed.inFlightJobs()].sort(), 'run 12 is not run 1').toEqual(['j2', 'j3']);
    committed.helpEnded(13);
    expect([...committed.inFlightJobs()]).toEqual(['j2']);
    expect(growthOf(chunk('j1', '1', 'b', 10)), 'a resumed object counts from 0 again').toBe(10);
  });

  it('a listener that unsubscribed, or a follower stopped, is told nothing more', () => {
    const { bus, committed, told } = follow();
    const seen: number[] = [];
    const unsubscribe = committed.on((_event, grown) => seen.push(grown));
    bus.publish(chunk('j1', '1', 'a', 10));
    unsubscribe();
    bus.publish(chunk('j1', '1', 'a', 20));
    expect(seen).toEqual([10]);
    committed.stop();
    bus.publish(chunk('j1', '1', 'a', 30));
    expect(told[0]!.map(({ grown }) => grown)).toEqual([10, 10]);
  });

  it('a listener that throws does not keep the others from the event; the bus is told of the error', () => {
    const errors: unknown[] = [];
    const bus = createEventBus({ onListenerError: (error) => errors.push(error) });
    const committed = followCommittedBytes(bus);
    const seen: number[] = [];
    committed.on(() => {
      throw new Error('a metric refused');
    });
    committed.on((_event, grown) => seen.push(grown));
    bus.publish(chunk('j1', '1', 'a', 10));
    bus.publish({ ...chunk('j1', '1', 'a', 10), kind: 'RUN_FINISHED', objectKey: null });
    expect(seen).toEqual([10, 0]);
    expect(errors.map((error) => (error as Error).message)).toEqual(['a metric refused', 'a metric refused']);
    expect([...committed.inFlightJobs()], 'the run was still forgotten').toEqual([]);
  });
});
