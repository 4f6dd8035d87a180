import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

const objects = (): Array<[string, Buffer]> => [
  ['s/one.txt', seededBytes(20_000, 1)],
  ['s/two.txt', seededBytes(30_000, 2)],
  ['s/three.txt', seededBytes(CHUNK, 3)],
  ['b/four.bin', seededBytes(4 * CHUNK + 99, 4)],
  ['b/five.bin', seededBytes(6 * CHUNK, 5)],
];

describe('sync through a faulty network', () => {
  test('503/SlowDown, 500, resets before the response and mid-body, a stall and latency: completes byte-identical', async () => {
    await using f = await startSyncFixture({ retryCount: 5 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const data = objects();
    await f.s3.putObjects(data);
    const seen = new Map<string, number>();
    let lists = 0;
    const oneRanges: Array<string | undefined> = [];
    const plans: Record<string, Fault[]> = {
      's/one.txt': [{ kind: 'resetMidBody', afterBytes: 7000 }, { kind: 'status', status: 503, code: 'SlowDown' }],
      's/two.txt': [{ kind: 'reset' }, { kind: 'latency', ms: 30 }],
      's/three.txt': [{ kind: 'hang' }, { kind: 'status', status: 500, code: 'InternalError' }],
      'b/four.bin': [{ kind: 'status', status: 503, code: 'SlowDown' }, { kind: 'resetMidBody', afterBytes: 1000 }],
      'b/five.bin': [{ kind: 'reset' }, { kind: 'status', status: 503, code: 'ServiceUnavailable' }],
    };
    proxy.setRule((req) => {
      if (req.method === 'GET' && req.key === '' && lists++ === 0) return { kind: 'status', status: 503, code: 'SlowDown' };
      if (req.method !== 'GET' || !req.key) return undefined;
      const count = (seen.get(req.key) ?? 0) + 1;
      seen.set(req.key, count);
      if (req.key === 's/one.txt') oneRanges.push(req.headers.range);
      return plans[req.key]?.[count - 1];
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint, { socketTimeoutMs: 1000 }) });

    expect(result.run.error).toBeNull();
    expect(result.status).toBe('SUCCEEDED');
    for (const [key, body] of data) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
    expect((await f.rows()).every((r) => r.status === 'PROCESSED' && r.lastPosition === r.size)).toBe(true);
    expect(proxy.counts.faults).toBe(10);
    // Nine of the faults are on GETs (one is the listing's). A reset before any byte of the answer,
    // on a kept-alive connection, is sent again at once on a new connection (the keep-alive race),
    // without a retry: each of the two resets is, when it lands on a reused connection. The other
    // seven are retried.
    expect(result.stats.retries).toBeGreaterThanOrEqual(7);
    // After a body cut at byte 7000, the next GETs (a 503, then a success) ask only for the rest.
    expect(oneRanges).toEqual([undefined, 'bytes=7000-19999', 'bytes=7000-19999']);
  });

  test('faults on every GET: the run ends FAILED with each object\'s error recorded and nothing at the final paths', async () => {
    await using f = await startSyncFixture({ retryCount: 2 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const data = objects();
    await f.s3.putObjects(data);
    let n = 0;
    proxy.setRule((req) => {
      if (req.method !== 'GET' || !req.key) return undefined;
      n += 1;
      return n % 2 ? { kind: 'status', status: 503, code: 'SlowDown' } : { kind: 'resetMidBody', afterBytes: 10 };
    });
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });

    expect(result.status).toBe('FAILED');
    expect(result.run).toMatchObject({ status: 'FAILED', objectsTotal: 5, objectsFailed: 5, objectsDone: 0 });
    expect(result.run.error).toMatch(/^5 object\(s\) failed; first: /);
    expect(result.run.finishedAt).toBeInstanceOf(Date);
    for (const row of await f.rows()) {
      expect(row.status).toBe('FAILED');
      expect(row.error).toMatch(/SlowDown|ECONNRESET|aborted|Truncated|ended at byte/);
    }
    for (const [key] of data) expect(existsSync(join(f.root, key)), key).toBe(false);
    expect(f.events.filter((e) => e.kind === 'OBJECT_FAILED')).toHaveLength(5);
    expect(f.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'FAILED' });
  });

  test('a listing that keeps failing ends the run FAILED with the listing error', async () => {
    await using f = await startSyncFixture({ retryCount: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObject('x.txt', 'x');
    proxy.setRule(() => ({ kind: 'status', status: 503, code: 'SlowDown' }));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    expect(result.status).toBe('FAILED');
    expect(result.run.error).toMatch(/^listing failed: SlowDown \(HTTP 503\)/);
    expect(proxy.counts.requests).toBe(2);
  });

  test('an archived object (403 InvalidObjectState) fails with what to do about it, not retried; the others sync', async () => {
    await using f = await startSyncFixture({ retryCount: 3 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    await f.s3.putObjects([['cold/old.csv', 'archived long ago'], ['hot/new.csv', 'fresh']]);
    proxy.setRule((req) => (req.method === 'GET' && req.key === 'cold/old.csv' ? { kind: 'status', status: 403, code: 'InvalidObjectState' } : undefined));
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    expect(result.status).toBe('FAILED');
    const cold = await f.row('cold/old.csv');
    expect(cold?.status).toBe('FAILED');
    expect(cold?.error).toMatch(/^InvalidObjectState \(HTTP 403\): .*; the object is archived \(GLACIER, DEEP_ARCHIVE .*restore it, or exclude its key, to sync it$/);
    expect(existsSync(join(f.root, 'cold/old.csv'))).toBe(false);
    expect(proxy.counts.gets).toBe(2);
    expect(await sha256File(join(f.root, 'hot/new.csv'))).toBe(sha256('fresh'));
  });

  test('412 on If-Match (object replaced at the source): the object is re-read and fetched again from byte 0', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const big = seededBytes(6 * CHUNK + 7, 9);
    await f.s3.putObjects([['big.bin', big], ['small.txt', 'small body']]);
    const seen = new Map<string, number>();
    proxy.setRule((req) => {
      if (req.method !== 'GET' || !req.key) return undefined;
      const count = (seen.get(req.key) ?? 0) + 1;
      seen.set(req.key, count);
      const failAt = req.key === 'big.bin' ? 3 : 1;
      return count === failAt ? { kind: 'status', status: 412, code: 'PreconditionFailed' } : undefined;
    });
    // One GET per chunk, so the 412 arrives after two chunks of big.bin are on disk.
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint), tuning: { getSpanBytes: CHUNK } });

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    expect(await sha256File(join(f.root, 'small.txt'))).toBe(sha256('small body'));
    expect(f.s3.counts.heads).toBe(2);
    const bigRanges = f.s3.counts.getRanges.filter((g) => g.key === 'big.bin').map((g) => g.range);
    expect(bigRanges.filter((r) => r === `bytes=0-${CHUNK - 1}`)).toHaveLength(2);
    let last = 0;
    for (const e of f.events.filter((e) => e.objectKey === 'big.bin')) {
      expect(e.bytesTransferred).toBeGreaterThanOrEqual(last);
      last = e.bytesTransferred;
    }
    expect(last).toBe(big.length);
  });
});
