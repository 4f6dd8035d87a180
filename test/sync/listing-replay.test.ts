import { describe, expect, it } from 'vitest';
import { createCheckpointStore, type CheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { createListingCheckpoint } from '../../src/sync/checkpoint/listing-checkpoint.js';
import { emptyStats } from '../../src/sync/checkpoint/run-stats.js';
import { createRunProgress } from '../../src/sync/run/run-progress.js';
import { createRunTally } from '../../src/sync/run/run-tally.js';
import { openJobFolder } from '../../src/sync/local/job-folder.js';
import { listIntoRun, type FetchDecision } from '../../src/sync/run/run-listing.js';
import type { RemoteObject } from '../../src/sync/transport/s3-connector.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe('a resumed run replaying the objects it listed before a restart', () => {
  it('leaves a row alone that a claim finished while the replay read it: PROCESSED stays PROCESSED', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const remote: RemoteObject = { key: 'big.bin', size: 4 * CHUNK, etag: '"e"', lastModified: new Date(), checksumAlgorithms: [] };
    const store = createCheckpointStore(f.orm, f.jobId, runId, f.config.instanceId);
    const listing = createListingCheckpoint(f.orm, f.jobId, runId);
    // Before the restart: listed by this run, half fetched.
    await store.upsert([{ remote, stored: undefined, lastPosition: 0 }]);
    await listing.recordPage([remote.key], remote.key);
    await listing.complete();
    expect(await store.commit(remote.key, { status: 'PROCESSING', lastPosition: 2 * CHUNK })).toBe('committed');

    // A shared run's claim finishes the object right after the replay has read its row.
    const racing: CheckpointStore = {
      ...store,
      async load(keys) {
        const stored = await store.load(keys);
        await store.commit(remote.key, { status: 'PROCESSED', lastPosition: remote.size, localPath: `${f.root}/big.bin` });
        return stored;
      },
    };
    const queued: FetchDecision[] = [];
    const tally = createRunTally();
    const progressErrors: unknown[] = [];
    const progress = createRunProgress(store, tally.counters, { onError: (error) => progressErrors.push(error) });
    await listIntoRun(
      {
        runId,
        connector: f.connectorVia(f.s3.endpoint),
        bucket: f.s3.bucket,
        prefix: '',
        jobRoot: f.root,
        keep: null,
        store: racing,
        listing,
        tally,
        progress,
        outcomes: { done: () => {}, failed: () => {} },
        folder: openJobFolder(f.root),
        queue: (decision) => void queued.push(decision),
        signal: new AbortController().signal,
        stats: emptyStats(),
        listRanges: { ranges: 1, minKeys: 1 },
        logger: { warn: () => {} },
      },
      await listing.state(),
    );
    // Its timed write of the run's counters must not outlive the fixture's database.
    await progress.stop();
    expect(progressErrors).toEqual([]);

    expect(queued.map((d) => d.remote.key), 'replayed as unfinished when read').toEqual([remote.key]);
    expect(await f.row(remote.key)).toMatchObject({ status: 'PROCESSED', lastPosition: remote.size });
  });
});
