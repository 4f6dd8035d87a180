import type { FormattedExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';

/** As README documents it. */
const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
const QUERY = 'subscription { syncProgress { kind jobId } }';

/**
 * One socket could hold any number of subscriptions (50,000 took the process from 290 MB to 1.3 GB).
 * It now holds at most 100: one more is refused with an error naming the
 * limit, the others keep streaming, and completing one makes room.
 */
describe('subscriptions per WebSocket', () => {
  it('one over the limit is refused with an error naming it; completing one makes room', async () => {
    await using app = await startTestApp();
    const client = wsClient(app.wsUrl, { lazy: false });
    const probe = () =>
      app.bus.publish({ kind: 'RUN_STARTED', jobId: 'probe', runId: 'probe', objectKey: null, bytesTransferred: 0, objectSize: null, status: null, at: new Date() });
    const subscribe = () => {
      const seen = { events: 0, errors: [] as unknown[] };
      const stop = client.subscribe<FormattedExecutionResult>({ query: QUERY }, { next: () => seen.events++, error: (e) => seen.errors.push(e), complete: () => {} });
      return { seen, stop };
    };
    try {
      const held = Array.from({ length: MAX_SUBSCRIPTIONS_PER_SOCKET }, subscribe);
      await waitFor(() => held.every((s) => s.seen.events > 0), { step: probe, what: 'every subscription live' });

      const refused = subscribe();
      await waitFor(() => refused.seen.errors.length > 0, 5000, 'the refusal');
      const [error] = refused.seen.errors[0] as Array<{ message: string; extensions: { code: string } }>;
      expect(error!.message).toContain(`at most ${MAX_SUBSCRIPTIONS_PER_SOCKET}`);
      expect(error!.extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(held.every((s) => s.seen.errors.length === 0)).toBe(true);

      held[0]!.stop();
      const next = subscribe();
      await waitFor(() => next.seen.events > 0 || next.seen.errors.length > 0, { step: probe, what: 'the new subscription to answer' });
      expect(next.seen.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});
