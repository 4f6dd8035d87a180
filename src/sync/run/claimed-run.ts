import type { ObjectClaims } from '../multi/object-claims.js';
import { claimedItem, workClaimedObjects } from './claimed-work.js';
import type { WorkItem } from '../transfer/transfer-context.js';

export interface ClaimedRunOptions {
  claims: ObjectClaims;
  limiter: { run(task: () => Promise<void>): Promise<void>; drain(): Promise<void> };
  signal: AbortSignal;
  jobRoot: string;
  /** Absent for a helper: it claims until nothing is left. The holder keeps going until its listing is done. */
  listingDone?: () => boolean;
  shouldStop: () => boolean;
  settle: () => Promise<void>;
  fetch: (item: WorkItem) => Promise<void>;
}

/** A shared run's objects as this instance works on them: claimed in batches, fetched, recorded (object-claims.ts). */
export function workClaimedRun(options: ClaimedRunOptions): Promise<void> {
  const { jobRoot } = options;
  return workClaimedObjects({
    claims: options.claims,
    limiter: options.limiter,
    signal: options.signal,
    listingDone: options.listingDone,
    shouldStop: options.shouldStop,
    settle: options.settle,
    idleMs: 100,
    work: async (row) => {
      const item = claimedItem(jobRoot, row);
      // Refused keys (a NUL is shown as ␀) are recorded FAILED by the holder's listing itself.
      if ('refused' in item || row.key.includes('\u2400')) return;
      await options.fetch(item);
    },
  });
}
