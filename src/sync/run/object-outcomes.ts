import type { RowBatcher } from '../checkpoint/row-batcher.js';
import { transferObject } from '../transfer/object-transfer.js';
import type { TransferContext, TransferOutcome, WorkItem } from '../transfer/transfer-context.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import type { RunEvents } from './run-events.js';
import type { RunProgress } from './run-progress.js';
import type { RunTally } from './run-tally.js';

export interface ObjectOutcomesDeps {
  ctx: TransferContext;
  tally: RunTally;
  progress: RunProgress;
  batcher: RowBatcher;
  events: RunEvents;
  /** Where small objects' verified bytes wait for their write (see `fetch`). */
  writer: { run(task: () => Promise<void>): Promise<void> };
}

/**
 * Where every object of a run ends: its final row goes into the row batcher (one batched commit for
 * small and chunked objects alike; a chunked object's checkpoints before it are chunk-transfer.ts's),
 * its events are published once that commit is in, and the run's tally counts it.
 */
export function createObjectOutcomes({ ctx, tally, progress, batcher, events, writer }: ObjectOutcomesDeps) {
  const failed = (remote: RemoteObject, error: string, keepCheckpoint: boolean) => {
    tally.failed(remote, error);
    progress.settle(remote.key);
    batcher.add(remote.key, keepCheckpoint ? { status: 'FAILED', error } : { status: 'FAILED', error, lastPosition: 0 }, () =>
      events.object('OBJECT_FAILED', remote, 0, 'FAILED', error),
    );
  };

  const done = (remote: RemoteObject, status: 'PROCESSED' | 'SKIPPED', localPath: string) => {
    tally.done(remote, status);
    progress.settle(remote.key);
    batcher.add(remote.key, { status, lastPosition: remote.size, localPath, error: null }, () => {
      if (status === 'SKIPPED') return events.object('OBJECT_SKIPPED', remote, 0, 'SKIPPED');
      events.object('CHUNK', remote, remote.size, 'PROCESSING');
      events.object('OBJECT_DONE', remote, remote.size, 'PROCESSED');
    });
  };

  const record = (item: WorkItem, outcome: TransferOutcome) => {
    if (outcome.status === 'PROCESSED') done(item.remote, 'PROCESSED', item.finalPath);
    else if (outcome.status === 'FAILED') failed(item.remote, outcome.error, !outcome.restart);
    // Stopped with the run still going: its claim went to another session, whose result the shared run counts.
    else if (outcome.status === 'CANCELLED' && !ctx.signal.aborted) progress.settle(item.remote.key);
  };

  /** Fetches one object and records how it ended. */
  const fetch = async (item: WorkItem) => {
    const outcome = await transferObject(ctx, item, tally.resized);
    if (outcome.status !== 'FETCHED') return record(item, outcome);
    // The download slot is freed once a writer slot is: the next GET overlaps with this file's fdatasync.
    const { finish } = outcome;
    await writer.run(async () => record(item, await finish()));
  };

  return { done, failed, fetch };
}

export type ObjectOutcomes = ReturnType<typeof createObjectOutcomes>;
