import { describe, expect, it } from 'vitest';
import type { DashboardProgressSubscription, RunFieldsFragment } from '../../web/generated/graphql.js';
import { applyEvent, newLiveRun, overview, rebase } from '../../web/src/live-run.js';

type Event = DashboardProgressSubscription['syncProgress'];
const event = (kind: Event['kind'], objectKey: string | null, bytes: number, objectSize: number | null = null, extra: Partial<Event> = {}): Event => ({
  kind,
  jobId: 'j',
  runId: '1',
  objectKey,
  bytesTransferred: bytes,
  objectSize,
  status: null,
  runStatus: null,
  error: null,
  at: '2026-11-29T00:00:00.000Z',
  ...extra,
});
const row = (fields: Partial<RunFieldsFragment>): RunFieldsFragment => ({
  id: '1',
  status: 'RUNNING',
  trigger: 'MANUAL',
  startedAt: '2026-11-29T00:00:00.000Z',
  finishedAt: null,
  objectsTotal: 0,
  objectsDone: 0,
  objectsFailed: 0,
  objectsSkipped: 0,
  bytesTotal: 0,
  bytesDone: 0,
  error: null,
  ...fields,
});

describe("the dashboard's live run", () => {
  it('coalesced CHUNK events (some dropped) give the same bytes as all of them: each carries the absolute count', () => {
    const all = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 2 }));
    const coalesced = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 2 }));
    for (const bytes of [100, 200, 300, 400]) applyEvent(all, event('CHUNK', 'a', bytes, 800), 1000 + bytes);
    applyEvent(coalesced, event('CHUNK', 'a', 400, 800), 1400);
    expect(overview(all, 1400).bytesDone).toBe(400);
    expect(overview(coalesced, 1400).bytesDone).toBe(400);
    // A late, smaller count (out of order) never moves the bar back.
    applyEvent(coalesced, event('CHUNK', 'a', 300, 800), 1500);
    expect(overview(coalesced, 1500).bytesDone).toBe(400);
    expect(coalesced.inFlight.get('a')).toMatchObject({ size: 800 });
  });

  it('counts finished objects, lists failures, ends on RUN_FINISHED; throughput and ETA come from the event times', () => {
    const run = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 3 }));
    applyEvent(run, event('CHUNK', 'a', 200, 800), 0);
    applyEvent(run, event('CHUNK', 'a', 600, 800), 1000);
    const mid = overview(run, 1000);
    expect(mid.rate).toBe(400);
    expect(mid.etaMs).toBe(1000);
    applyEvent(run, event('OBJECT_DONE', 'a', 800, 800), 1100);
    applyEvent(run, event('OBJECT_FAILED', 'b', 0, 200, { error: 'AccessDenied' }), 1200);
    expect(run.inFlight.size).toBe(0);
    expect(run.failures).toEqual([{ key: 'b', error: 'AccessDenied', at: expect.any(String) }]);
    expect(overview(run, 1200)).toMatchObject({ bytesDone: 800, objectsDone: 1 });
    applyEvent(run, event('RUN_FINISHED', null, 800, null, { runStatus: 'FAILED', error: '1 object(s) failed' }), 1300);
    expect(run.finished).toEqual({ status: 'FAILED', error: '1 object(s) failed' });
    expect(overview(run, 1300).etaMs).toBeNull();
  });

  it('when no event came for the 5 s window (a stalled transfer), the throughput is 0 and the ETA unknown', () => {
    const run = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 1 }));
    applyEvent(run, event('CHUNK', 'a', 200, 1000), 0);
    applyEvent(run, event('CHUNK', 'a', 600, 1000), 1000);
    expect(overview(run, 1000)).toMatchObject({ rate: 400, etaMs: 1000 });
    // The window slides past the events: the rate falls, then is 0.
    expect(overview(run, 5500).rate).toBe(0);
    expect(overview(run, 7000)).toMatchObject({ bytesDone: 600, rate: 0, etaMs: null });
  });

  it('a re-read run row (e.g. after a reconnect) takes over the totals without the bar going back', () => {
    const run = newLiveRun('1', null);
    applyEvent(run, event('CHUNK', 'a', 500, 5000), 0);
    rebase(run, row({ bytesDone: 300, bytesTotal: 5000, objectsTotal: 4 }), []);
    expect(overview(run, 0)).toMatchObject({ bytesDone: 500, bytesTotal: 5000, objectsTotal: 4 });
    // A row behind the events (written up to 500 ms ago) does not hold the bar back: the next checkpoint moves it.
    applyEvent(run, event('CHUNK', 'a', 700, 5000), 10);
    expect(overview(run, 10).bytesDone).toBe(700);
    // A row ahead of the events (unchanged objects counted at listing, no events) raises it.
    rebase(run, row({ bytesDone: 2000, bytesTotal: 5000, objectsDone: 2, objectsTotal: 4 }), [{ key: 'a', size: 5000, lastPosition: 700, runId: '1' }]);
    expect(overview(run, 10)).toMatchObject({ bytesDone: 2000, objectsDone: 2 });
    applyEvent(run, event('CHUNK', 'a', 800, 5000), 20);
    expect(overview(run, 20).bytesDone).toBe(2100);
    rebase(run, row({ status: 'SUCCEEDED', bytesDone: 5000, bytesTotal: 5000, objectsDone: 4, objectsTotal: 4 }), []);
    expect(run.finished).toEqual({ status: 'SUCCEEDED', error: null });
    expect(overview(run, 0)).toMatchObject({ bytesDone: 5000, objectsDone: 4 });
  });
});

describe('the live run adopting a row taken mid-run', () => {
  // The row's bytesDone holds the committed bytes of the objects still downloading (here 300 of a's 800).
  const midRun = row({ bytesDone: 500, bytesTotal: 1000, objectsDone: 1, objectsTotal: 2 });
  const inProgress = [{ key: 'a', size: 800, lastPosition: 300, runId: '1' }];

  it("a page opened mid-run counts an in-flight object's bytes once: the next event adds only what is past its committed position", () => {
    const run = newLiveRun('1', midRun, inProgress);
    applyEvent(run, event('CHUNK', 'a', 400, 800), 0);
    expect(overview(run, 0).bytesDone).toBe(600);
    applyEvent(run, event('OBJECT_DONE', 'a', 800, 800), 10);
    expect(overview(run, 10)).toMatchObject({ bytesDone: 1000, objectsDone: 2 });
  });

  it('a row re-read after missed events (a reconnect) is adopted with its positions: no byte counted twice', () => {
    const run = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 2 }), []);
    applyEvent(run, event('CHUNK', 'a', 100, 800), 0);
    // Offline: b finished (200), a reached 300; the row says so.
    rebase(run, midRun, inProgress);
    applyEvent(run, event('CHUNK', 'a', 400, 800), 10);
    expect(overview(run, 10).bytesDone).toBe(600);
  });

  it('a re-read row rebuilds the in-flight list: an object that finished while no event came leaves it', () => {
    const run = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 2 }), []);
    applyEvent(run, event('CHUNK', 'b', 100, 200), 0);
    applyEvent(run, event('CHUNK', 'a', 100, 800), 0);
    rebase(run, midRun, inProgress);
    expect([...run.inFlight.values()]).toEqual([{ key: 'a', bytes: 300, size: 800 }]);
  });

  it("an object an earlier run left PROCESSING is not in flight, and its old checkpoint is not taken as this run's bytes", () => {
    const earlier = [{ key: 'old', size: 800, lastPosition: 300, runId: '0' }];
    const run = newLiveRun('1', row({ bytesTotal: 1000, objectsTotal: 2 }), earlier);
    expect(run.inFlight.size).toBe(0);
    rebase(run, row({ bytesTotal: 1000, objectsTotal: 2 }), earlier);
    expect(run.inFlight.size).toBe(0);
    // Its transfer restarts: the run row counts its committed bytes from here on, all 400 of them.
    applyEvent(run, event('CHUNK', 'old', 400, 800), 0);
    expect(overview(run, 0).bytesDone).toBe(400);
    expect([...run.inFlight.values()]).toEqual([{ key: 'old', bytes: 400, size: 800 }]);
  });

  it('before the run row gives totals, the ETA and the object total are unknown, not "0 ms" and "39 / 0"', () => {
    const run = newLiveRun('1', null);
    applyEvent(run, event('OBJECT_DONE', 'a', 10, 10), 0);
    applyEvent(run, event('OBJECT_DONE', 'b', 10, 10), 1000);
    expect(overview(run, 1000)).toMatchObject({ bytesTotal: null, objectsDone: 2, objectsTotal: null, rate: 10, etaMs: null });
    rebase(run, row({ bytesTotal: 100, objectsTotal: 10, bytesDone: 20, objectsDone: 2 }), []);
    expect(overview(run, 1000)).toMatchObject({ bytesTotal: 100, objectsTotal: 10, etaMs: 8000 });
  });
});
