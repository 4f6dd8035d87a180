import { expect, test } from 'vitest';
import { seededBytes } from '../helpers/files.js';
import { connectorWithGetHook } from './get-hook.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

/** One GET per chunk, one at a time, so a hook before GET n runs with n - 1 chunks on disk. */
const chunkByChunk = { getSpanBytes: CHUNK, spansPerObject: 1 };

/**
 * An object replaced at the source mid-download restarts at its new version (transfer/object-transfer.ts).
 * The run's bytesDone counts the committed chunks of objects in flight: those of the new version, not
 * the old version's, which were discarded with its partial file.
 */
test("a cancelled run's bytesDone counts the restarted object's new version, not the discarded old chunks", async () => {
  await using f = await startSyncFixture({ concurrency: 1 });
  await f.s3.putObject('big.bin', seededBytes(6 * CHUNK, 1));
  const cancel = new AbortController();
  const connector = connectorWithGetHook(f, async (key, n) => {
    // Three chunks of v1 committed: v1 becomes a 2-chunk v2 (s3rver answers with v2's ETag: restart).
    if (key === 'big.bin' && n === 4) await f.s3.putObject('big.bin', seededBytes(2 * CHUNK, 2));
    // One chunk of v2 committed: the run is cancelled.
    if (key === 'big.bin' && n === 6) cancel.abort();
  });
  const run = await f.sync({ connector, tuning: chunkByChunk, signal: cancel.signal });
  expect(run.status).toBe('CANCELLED');
  const row = (await f.row('big.bin'))!;
  expect(Number(row.size)).toBe(2 * CHUNK);
  expect(Number(row.lastPosition)).toBe(CHUNK);
  expect(Number(run.run.bytesTotal)).toBe(2 * CHUNK);
  expect(Number(run.run.bytesDone)).toBe(CHUNK);
  expect(f.events.find((e) => e.kind === 'RUN_FINISHED')!.bytesTransferred).toBe(CHUNK);
});
