import { describe, expect, it } from 'vitest';
import { createCommittedBytes } from '../../src/http/committed-bytes.js';
import { chunkEvent } from '../helpers/progress-events.js';

const chunk = (jobId: string, runId: string, objectKey: string, bytesTransferred: number) => chunkEvent({ jobId, runId, objectKey, bytesTransferred, objectSize: 1000 });

describe('the committed prefix of objects in flight', () => {
  it('counts each byte once as the prefix grows, per object and run', () => {
    const committed = createCommittedBytes();
    expect(committed.grown(chunk('j1', '1', 'a', 300))).toBe(300);
    expect(committed.grown(chunk('j1', '1', 'a', 700))).toBe(400);
    expect(committed.grown(chunk('j1', '1', 'a', 700)), 'a repeated event').toBe(0);
    expect(committed.grown(chunk('j1', '1', 'a', 500)), 'an event out of order').toBe(0);
    expect(committed.grown(chunk('j1', '2', 'a', 200)), 'the same key in another run').toBe(200);
    expect([...committed.inFlightJobs()]).toEqual(['j1', 'j1']);
  });

  it('an object that ended, or a run forgotten, is no longer in flight; other runs stay', () => {
    const committed = createCommittedBytes();
    committed.grown(chunk('j1', '1', 'a', 10));
    committed.grown(chunk('j1', '1', 'b', 10));
    committed.grown(chunk('j2', '12', 'c', 10));
    committed.ended({ ...chunk('j1', '1', 'a', 10), kind: 'OBJECT_DONE' });
    expect([...committed.inFlightJobs()].sort()).toEqual(['j1', 'j2']);
    committed.forgetRun('1');
    expect([...committed.inFlightJobs()], 'run 12 is not run 1').toEqual(['j2']);
    expect(committed.grown(chunk('j1', '1', 'b', 10)), 'a resumed object counts from 0 again').toBe(10);
  });
});
