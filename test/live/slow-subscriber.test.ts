import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Job } from '../../src/db/entities/job.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { seededBytes } from '../helpers/files.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { CHUNK_SIZE, collect, type Collector, createPausedJob, LIVE_WAIT_MS, ofObject, startLiveEnv, triggerJob, untilLive } from './live-env.js';

/** A WebSocket whose instances the test can reach, to stop reading from the socket (TCP backpressure). */
function pausableWebSocket() {
  const sockets: WebSocket[] = [];
  class Pausable extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      sockets.push(this);
    }
  }
  return { Pausable, pause: () => sockets.forEach((s) => s.pause()), resume: () => sockets.forEach((s) => s.resume()) };
}

const OBJECTS = 10;
const CHUNKS_PER_OBJECT = 1_000;
const JOB = '33333333-3333-4333-8333-333333333333';
const event = (kind: SyncProgressEvent['kind'], key: string | null, bytes: number): SyncProgressEvent => ({
  kind,
  jobId: JOB,
  runId: '1',
  objectKey: key,
  bytesTransferred: bytes,
  objectSize: 1e12,
  status: kind === 'CHUNK' ? 'PROCESSING' : kind === 'OBJECT_DONE' ? 'PROCESSED' : null,
  at: new Date(),
});

describe('a subscriber that stops reading', () => {
  it('does not hold up the sync; once it reads again it gets every OBJECT_DONE and RUN_FINISHED, CHUNKs still climbing', async () => {
    await using env = await startLiveEnv();
    const source: Array<[string, Buffer | string]> = [
      ['s/big.bin', seededBytes(8 * CHUNK_SIZE, 1)],
      ['s/mid.bin', seededBytes(3 * CHUNK_SIZE + 1, 2)],
      ['s/small.txt', 'small'],
    ];
    await env.s3.putObjects(source);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 's/');
    const slowSocket = pausableWebSocket();
    const slow = wsClient(env.app.wsUrl, { lazy: false, webSocketImpl: slowSocket.Pausable });
    const fast = wsClient(env.app.wsUrl, { lazy: false });
    try {
      const slowSub = collect(slow, jobId);
      const fastSub = collect(fast, jobId);
      await untilLive(env.app.bus, [jobId], [slowSub, fastSub]);
      slowSocket.pause();
      const received = slowSub.events.length;

      await triggerJob(env.app, jobId);
      // The run ends (and the fast subscriber hears of it) while the slow one reads nothing.
      await waitFor(() => fastSub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);
      expect(slowSub.events.length).toBe(received);

      slowSocket.resume();
      await waitFor(() => slowSub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);
      expect(slowSub.ended).toEqual([]);
      const doneKeys = slowSub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort();
      expect(doneKeys).toEqual(source.map(([key]) => key).sort());
      for (const [key, body] of source) {
        const bytes = ofObject(slowSub.events, key).filter((e) => e.kind === 'CHUNK').map((e) => e.bytesTransferred);
        expect(bytes, key).toEqual([...new Set(bytes)].sort((x, y) => x - y));
        expect(bytes.at(-1), key).toBe(Buffer.byteLength(body));
      }
    } finally {
      await slow.dispose();
      await fast.dispose();
    }
  });

  it('gets coalesced CHUNKs instead of a growing backlog, while a reading subscriber gets them all', async () => {
    await using env = await startLiveEnv();
    await env.app.orm.em.fork().insert(new Job({ id: JOB, name: 'slow', connectorType: 'S3', bucketName: env.s3.bucket, schedule: 'hourly' }));
    const slowSocket = pausableWebSocket();
    const slow = wsClient(env.app.wsUrl, { lazy: false, webSocketImpl: slowSocket.Pausable });
    const fast = wsClient(env.app.wsUrl, { lazy: false });
    try {
      const slowSub = collect(slow, JOB);
      const fastSub = collect(fast, JOB);
      await untilLive(env.app.bus, [JOB], [slowSub, fastSub]);
      slowSocket.pause();

      // Long keys make each message ~4 KB, so socket buffers (a few MB) fill after about a thousand.
      // Published in small bursts: the server gets to write between them, as during a real sync.
      const key = (o: number) => `${'k'.repeat(4000)}-${o}`;
      for (let o = 0; o < OBJECTS; o += 1) {
        for (let c = 1; c <= CHUNKS_PER_OBJECT; c += 1) {
          env.app.bus.publish(event('CHUNK', key(o), c));
          if (c % 10 === 0) await nextTurn();
        }
        env.app.bus.publish(event('OBJECT_DONE', key(o), CHUNKS_PER_OBJECT));
      }
      env.app.bus.publish(event('RUN_FINISHED', null, OBJECTS * CHUNKS_PER_OBJECT));
      await waitFor(() => fastSub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);

      slowSocket.resume();
      await waitFor(() => slowSub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);
      const published = OBJECTS * CHUNKS_PER_OBJECT;
      const chunks = (sub: Collector) => sub.events.filter((e) => e.kind === 'CHUNK').length;
      for (const sub of [slowSub, fastSub]) {
        expect(sub.ended).toEqual([]);
        expect(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey)).toEqual(Array.from({ length: OBJECTS }, (_, o) => key(o)));
        for (let o = 0; o < OBJECTS; o += 1) {
          const bytes = ofObject(sub.events, key(o)).filter((e) => e.kind === 'CHUNK').map((e) => e.bytesTransferred);
          expect(bytes).toEqual([...new Set(bytes)].sort((x, y) => x - y));
        }
      }
      expect(chunks(slowSub)).toBeLessThan(published / 2);
      expect(chunks(fastSub)).toBeGreaterThan(published * 0.9);
      // Every CHUNK either reached a subscriber or was counted as dropped for it.
      const metrics = await (await fetch(`${env.app.url}/metrics`)).text();
      const dropped = Number(/^dss_subscriber_events_dropped (\d+)$/m.exec(metrics)?.[1]);
      expect(dropped).toBe(2 * published - chunks(slowSub) - chunks(fastSub));
    } finally {
      await slow.dispose();
      await fast.dispose();
    }
  });

  it('is ended with SUBSCRIBER_TOO_SLOW when it falls too far behind on events that are never dropped; the socket stays usable', async () => {
    await using env = await startLiveEnv();
    const OTHER = '44444444-4444-4444-8444-444444444444';
    for (const id of [JOB, OTHER]) await env.app.orm.em.fork().insert(new Job({ id, name: 'slow', connectorType: 'S3', bucketName: env.s3.bucket, schedule: 'hourly' }));
    const slowSocket = pausableWebSocket();
    const client = wsClient(env.app.wsUrl, { lazy: false, webSocketImpl: slowSocket.Pausable });
    const closes: number[] = [];
    client.on('closed', (e) => closes.push((e as { code: number }).code));
    try {
      const flooded = collect(client, JOB);
      const quiet = collect(client, OTHER);
      await untilLive(env.app.bus, [JOB, OTHER], [flooded, quiet]);
      slowSocket.pause();
      const key = (i: number) => `${'k'.repeat(1000)}-${i}`;
      // 30,000 OBJECT_DONE: more than the 256 × 64 a subscription may fall behind by.
      for (let i = 0; i < 30_000; i += 1) {
        env.app.bus.publish(event('OBJECT_DONE', key(i), 1));
        if (i % 100 === 0) await nextTurn();
      }
      slowSocket.resume();
      await waitFor(() => flooded.ended.length > 0, LIVE_WAIT_MS);
      expect(flooded.ended).toEqual([[expect.objectContaining({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } })]]);
      expect(flooded.events.length).toBeLessThan(30_000);

      // The other subscription on the same socket carries on.
      await waitFor(() => quiet.events.length > 0, { timeoutMs: LIVE_WAIT_MS, step: () => env.app.bus.publish({ ...event('RUN_FINISHED', null, 0), jobId: OTHER }) });
      expect(quiet.ended).toEqual([]);
      expect(closes).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});
