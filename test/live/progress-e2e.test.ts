import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import {
  CHUNK_SIZE,
  collect,
  committedPosition,
  createPausedJob,
  KiB,
  ofObject,
  openReader,
  startLiveEnv,
  triggerJob,
  untilLive,
  type Collector,
  type LiveEnv,
  type WireEvent,
} from './live-env.js';

/** Job A: two chunked objects (11 and 4 chunks) and two small ones; job B: one of each, elsewhere. */
const SOURCE: Record<string, Buffer> = {
  'a/big.bin': seededBytes(10 * CHUNK_SIZE + 123, 1),
  'a/mid.bin': seededBytes(4 * CHUNK_SIZE, 2),
  'a/small-1.txt': seededBytes(10 * KiB, 3),
  'a/small-2.txt': Buffer.from('hello from job A\n'),
  'b/other.bin': seededBytes(3 * CHUNK_SIZE + 1, 4),
  'b/note.txt': Buffer.from('job B\n'),
};
const keysOf = (prefix: string) => Object.keys(SOURCE).filter((k) => k.startsWith(prefix)).sort();

interface Violation {
  where: 'bus listener' | 'ws client';
  key: string | null;
  bytes: number;
  committed: number | undefined;
}

/**
 * One real sync of two jobs, watched three ways while it happens: an in-process bus listener and a
 * graphql-ws client each read SQLite (a second connection) the moment a CHUNK event reaches them.
 */
describe('syncProgress end to end: real engine → bus → graphql-ws over a real socket', () => {
  let env: LiveEnv;
  let client: Client;
  let jobA: string;
  let jobB: string;
  let onlyA: Collector;
  let onlyB: Collector;
  let everyJob: Collector;
  const violations: Violation[] = [];
  let busChecks = 0;
  let wsChecks = 0;

  beforeAll(async () => {
    env = await startLiveEnv();
    await env.s3.putObjects(Object.entries(SOURCE));
    jobA = await createPausedJob(env.app, env.s3.bucket, 'a/');
    jobB = await createPausedJob(env.app, env.s3.bucket, 'b/');
    const reader = openReader(env.app);
    // Synchronous, inside publish(): nothing can commit between the publish and this read.
    const stopListening = env.app.bus.on((event) => {
      if (event.kind !== 'CHUNK' || event.runId === 'probe') return;
      busChecks += 1;
      const committed = committedPosition(reader, event.jobId, event.objectKey!);
      if (!(committed !== undefined && committed >= event.bytesTransferred)) {
        violations.push({ where: 'bus listener', key: event.objectKey, bytes: event.bytesTransferred, committed });
      }
    });
    const checkOnArrival = (event: WireEvent) => {
      if (event.kind !== 'CHUNK') return;
      wsChecks += 1;
      const committed = committedPosition(reader, event.jobId, event.objectKey!);
      if (!(committed !== undefined && committed >= event.bytesTransferred)) {
        violations.push({ where: 'ws client', key: event.objectKey, bytes: event.bytesTransferred, committed });
      }
    };
    client = wsClient(env.app.wsUrl, { lazy: false });
    onlyA = collect(client, jobA, checkOnArrival);
    onlyB = collect(client, jobB);
    everyJob = collect(client, undefined);
    await untilLive(env.app.bus, [jobA, jobB], [onlyA, onlyB, everyJob]);

    await Promise.all([triggerJob(env.app, jobA), triggerJob(env.app, jobB)]);
    const finished = (c: Collector, n = 1) => c.events.filter((e) => e.kind === 'RUN_FINISHED').length >= n;
    await waitFor(() => finished(onlyA) && finished(onlyB) && finished(everyJob, 2), 30_000, 'RUN_FINISHED on every subscription');
    stopListening();
    reader.close();
  });

  afterAll(async () => {
    await client?.dispose();
    await env?.stop();
  });

  it('delivers RUN_STARTED, climbing CHUNKs up to each object size, one OBJECT_DONE per object, then RUN_FINISHED', async () => {
    const events = onlyA.events;
    expect(onlyA.results.every((r) => r.errors === undefined)).toBe(true);
    expect(events[0]).toMatchObject({ kind: 'RUN_STARTED', jobId: jobA, bytesTransferred: 0 });
    expect(events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', jobId: jobA, runStatus: 'SUCCEEDED', error: null });
    expect(events.filter((e) => e.kind.startsWith('RUN_'))).toHaveLength(2);
    expect(new Set(events.map((e) => e.runId)).size).toBe(1);
    expect(events.at(-1)!.bytesTransferred).toBe(keysOf('a/').reduce((sum, k) => sum + SOURCE[k]!.length, 0));

    for (const key of keysOf('a/')) {
      const size = SOURCE[key]!.length;
      const mine = ofObject(events, key);
      const chunks = mine.filter((e) => e.kind === 'CHUNK');
      const bytes = chunks.map((e) => e.bytesTransferred);
      // Strictly climbing (never backwards, never repeated) and ending at the object's size.
      expect(bytes, key).toEqual([...new Set(bytes)].sort((x, y) => x - y));
      expect(bytes.at(-1), key).toBe(size);
      expect(bytes.every((b) => b > 0 && b <= size), key).toBe(true);
      expect(chunks.every((e) => e.objectSize === size && e.status === 'PROCESSING'), key).toBe(true);
      // The OBJECT_DONE comes once, after the object's last CHUNK.
      expect(mine.at(-1), key).toMatchObject({ kind: 'OBJECT_DONE', bytesTransferred: size, objectSize: size, status: 'PROCESSED' });
      expect(mine.filter((e) => e.kind !== 'CHUNK'), key).toHaveLength(1);
    }
    // The big object reports progress while it is transferred, not only at the end (checkpoints
    // are group-committed, so how many CHUNKs depends on timing; the first one never covers all 11).
    expect(ofObject(events, 'a/big.bin').filter((e) => e.kind === 'CHUNK').length).toBeGreaterThanOrEqual(2);

    // And the bytes on disk are the source's.
    for (const key of keysOf('a/')) {
      expect(await sha256File(join(env.app.config.downloadRoot, jobA, key)), key).toBe(sha256(SOURCE[key]!));
    }
  });

  it('publishes every CHUNK only after its checkpoint (last_position >= bytesTransferred) is committed', () => {
    const chunkEvents = onlyA.events.filter((e) => e.kind === 'CHUNK').length;
    expect(chunkEvents).toBeGreaterThanOrEqual(5);
    expect(wsChecks).toBe(chunkEvents);
    expect(busChecks).toBeGreaterThanOrEqual(chunkEvents);
    expect(violations).toEqual([]);
  });

  it('a subscriber to one job sees nothing of another; without jobId it sees both', () => {
    expect(onlyA.events.every((e) => e.jobId === jobA)).toBe(true);
    expect(onlyB.events.every((e) => e.jobId === jobB)).toBe(true);
    const done = (c: Collector) => c.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort();
    expect(done(onlyA)).toEqual(keysOf('a/'));
    expect(done(onlyB)).toEqual(keysOf('b/'));
    expect(done(everyJob)).toEqual(keysOf(''));
    // Per job, the all-jobs stream carries the same events in the same order.
    expect(everyJob.events.filter((e) => e.jobId === jobA)).toEqual(onlyA.events);
    expect(everyJob.events.filter((e) => e.jobId === jobB)).toEqual(onlyB.events);
  });
});
