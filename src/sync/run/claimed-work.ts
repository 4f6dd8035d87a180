import { setTimeout as delay } from 'node:timers/promises';
import type { ClaimedObject, ObjectClaims } from '../multi/object-claims.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { partialPathFor, resolveLocalPath } from '../local/safe-path.js';
import type { WorkItem } from '../transfer/transfer-context.js';

/** Rows claimed at a time: one round trip per batch, small enough that a large run spreads over instances. */
export const CLAIM_BATCH = 16;

export interface ClaimedWorkOptions {
  claims: Pick<ObjectClaims, 'start' | 'claim' | 'hasOpenWork' | 'stop' | 'releaseAll'>;
  /** The run's transfer limiter: `run` waits for a free slot, `drain` for every started transfer. */
  limiter: { run(task: () => Promise<void>): Promise<void>; drain(): Promise<void> };
  signal: AbortSignal;
  /**
   * The lease holder passes when its listing is complete: it then keeps claiming until no open row
   * is left (waiting for helpers' claims to finish or expire). A helper passes nothing and stops
   * as soon as nothing is left to claim.
   */
  listingDone?: () => boolean;
  /** True when the run is ending anyway (listing failed, job deleted): stop claiming. */
  shouldStop?: () => boolean;
  /** Commits the rows of finished objects (before the holder checks for open work). */
  settle: () => Promise<void>;
  /** Works on one claimed object (to its committed end). */
  work: (row: ClaimedObject) => Promise<void>;
  /** How long to wait before claiming again when nothing was claimable. */
  idleMs: number;
  /** Ends that wait early: the holder's own listing recorded claimable rows, or ended. */
  wakeUp?: ClaimWakeUp;
}

export type ClaimWakeUp = ReturnType<typeof createClaimWakeUp>;

/**
 * What the holder's listing rings when it has recorded rows to claim or has ended, so its claim loop
 * starts on them at once instead of at its next poll (the poll stays for other instances' changes:
 * helpers' claims finishing or expiring).
 */
export function createClaimWakeUp() {
  let rung = false;
  let waiting: AbortController | null = null;
  return {
    ring(): void {
      rung = true;
      waiting?.abort();
    },
    /** Waits `ms`, or until rung (at once when rung since the last wait). */
    async wait(ms: number): Promise<void> {
      if (!rung) {
        waiting = new AbortController();
        await delay(ms, undefined, { signal: waiting.signal }).catch(() => {});
        waiting = null;
      }
      rung = false;
    },
  };
}

/** Claims batches of a run's open object rows and works on them, until the run's objects are all done. */
export async function workClaimedObjects(options: ClaimedWorkOptions): Promise<void> {
  const { claims, limiter, signal } = options;
  // The run's abort ends a wait as a ring does; the loop then sees the signal and stops.
  const wakeUp = options.wakeUp ?? createClaimWakeUp();
  signal.addEventListener('abort', wakeUp.ring, { once: true });
  try {
    await claims.start();
    while (!signal.aborted && !options.shouldStop?.()) {
      const batch = await claims.claim(CLAIM_BATCH);
      // Every claimed row is started before the next batch is claimed: claims never pile up unworked.
      for (const row of batch) await limiter.run(() => options.work(row));
      if (batch.length > 0) continue;
      if (!options.listingDone) break;
      if (options.listingDone()) {
        await limiter.drain();
        await options.settle();
        if (!(await claims.hasOpenWork())) break;
      }
      await wakeUp.wait(options.idleMs);
    }
    await limiter.drain();
    await options.settle();
  } finally {
    signal.removeEventListener('abort', wakeUp.ring);
    await claims.stop();
    // Whatever is still claimed here was not finished (stopped, cancelled): it goes back at once.
    await claims.releaseAll();
  }
}

/**
 * Fetches a claimed row's object as the row describes it (the listing's size, ETag and checksum
 * algorithms). A key that cannot be stored (a NUL is shown as ␀) was recorded FAILED by the holder's
 * listing itself: nothing to fetch.
 */
export async function fetchClaimed(jobRoot: string, row: ClaimedObject, fetch: (item: WorkItem) => Promise<void>): Promise<void> {
  const local = resolveLocalPath(jobRoot, row.key);
  if (!local.ok || local.isDirectory || row.key.includes('\u2400')) return;
  const remote: RemoteObject = { key: row.key, size: row.size, etag: row.etag, lastModified: row.lastModified, checksumAlgorithms: row.checksumAlgorithms };
  await fetch({ remote, finalPath: local.path, partialPath: partialPathFor(jobRoot, row.key), lastPosition: row.lastPosition });
}
