import type { SyncProgressEvent } from '../../src/events/progress-event.js';

/** A CHUNK progress event as a run publishes it, for tests that feed the bus by hand. */
export function chunkEvent(fields: Pick<SyncProgressEvent, 'jobId' | 'bytesTransferred'> & Partial<SyncProgressEvent>): SyncProgressEvent {
  return { kind: 'CHUNK', runId: '1', objectKey: 'data/big.bin', objectSize: 1_000_000, status: 'PROCESSING', at: new Date(), ...fields };
}
