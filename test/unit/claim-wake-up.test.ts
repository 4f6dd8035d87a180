import { describe, expect, test } from 'vitest';
import type { ClaimedObject } from '../../src/sync/multi/object-claims.js';
import { createClaimWakeUp, workClaimedObjects, type ClaimedWorkOptions } from '../../src/sync/run/claimed-work.js';

const HOUR = 3_600_000;

const row = (id: number): ClaimedObject => ({ id, key: `k${id}`, size: 1, etag: 'e', lastModified: null, lastPosition: 0, checksumAlgorithms: [] });

/** The holder's claim loop over an in-memory queue of rows; its poll is an hour, so only a ring can wake it in a test. */
function holderLoop(queue: ClaimedObject[], listing: { done: boolean }, onClaim?: (call: number) => void) {
  const wakeUp = createClaimWakeUp();
  const worked: string[] = [];
  let claimCalls = 0;
  const claims: ClaimedWorkOptions['claims'] = {
    start: async () => {},
    claim: async (n) => {
      claimCalls += 1;
      const claimed = queue.splice(0, n);
      onClaim?.(claimCalls);
      return claimed;
    },
    hasOpenWork: async () => queue.length > 0,
    stop: async () => {},
    releaseAll: async () => {},
  };
  const done = workClaimedObjects({
    claims,
    limiter: { run: async (task) => task(), drain: async () => {} },
    signal: new AbortController().signal,
    listingDone: () => listing.done,
    settle: async () => {},
    work: async (claimed) => void worked.push(claimed.key),
    idleMs: HOUR,
    wakeUp,
  });
  return { done, worked, wakeUp, claimCalls: () => claimCalls };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("a shared run's claim loop and its own listing", () => {
  test('rows the listing records while the loop waits are claimed at once, and its end ends the loop', async () => {
    const queue: ClaimedObject[] = [];
    const listing = { done: false };
    const loop = holderLoop(queue, listing);
    await turns(5);
    expect(loop.claimCalls(), 'nothing to claim yet: the loop waits').toBe(1);

    queue.push(row(1), row(2));
    loop.wakeUp.ring();
    await turns(10);
    expect(loop.worked).toEqual(['k1', 'k2']);

    listing.done = true;
    loop.wakeUp.ring();
    await loop.done;
    expect(loop.worked).toEqual(['k1', 'k2']);
  });

  test('a ring while the loop is still claiming (before it waits) is not lost', async () => {
    const queue: ClaimedObject[] = [];
    const listing = { done: false };
    // The listing records a row and ends while the loop's first claim is in flight.
    const loop = holderLoop(queue, listing, (call) => {
      if (call !== 1) return;
      queue.push(row(1));
      listing.done = true;
      loop.wakeUp.ring();
    });
    await loop.done;
    expect(loop.worked).toEqual(['k1']);
  });
});
