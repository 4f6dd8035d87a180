import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startSyncFixture } from './sync-fixture.js';

const BIG = 2 * 1024 * 1024;

/**
 * A run's row counts in bytesDone the committed chunks of objects still in flight (README); its end
 * must not take them back when they stay checkpointed, nor count them twice when they end.
 */
describe('the bytesDone a run ends with', () => {
  test('of a cancelled run keeps the committed chunks of the object it was downloading', async () => {
    await using f = await startSyncFixture({ retryCount: 0 });
    await f.s3.putObjects([
      ['a-small.txt', 'hello'],
      ['big.bin', Buffer.alloc(BIG, 1)],
    ]);
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key === 'big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 512 * 1024 } : undefined));
    const abort = new AbortController();
    const running = f.sync({ connector: f.connectorVia(proxy.endpoint), signal: abort.signal });
    await waitFor(() => f.events.some((e) => e.kind === 'CHUNK' && e.objectKey === 'big.bin' && e.bytesTransferred >= 256 * 1024), 10_000, 'chunks of big.bin');
    abort.abort();
    const result = await running;
    expect(result.run.status).toBe('CANCELLED');

    const rows = await f.rows();
    const committed = rows.reduce((sum, row) => sum + Number(row.lastPosition), 0);
    const big = rows.find((row) => row.key === 'big.bin')!;
    expect(big.status).not.toBe('PROCESSED');
    expect(Number(big.lastPosition)).toBeGreaterThanOrEqual(256 * 1024);
    const lastChunk = Math.max(...f.events.filter((e) => e.kind === 'CHUNK' && e.objectKey === 'big.bin').map((e) => e.bytesTransferred));
    const finished = f.events.find((e) => e.kind === 'RUN_FINISHED')!;

    // Before the fix: 5 (the small file only), though 256+ KiB of big.bin were committed and reported.
    expect(Number(result.run.bytesDone)).toBe(committed);
    expect(finished.bytesTransferred).toBe(5 + lastChunk);
  });

  test('of a failed run counts its finished objects, and of the run resuming it each object once', async () => {
    await using f = await startSyncFixture({ retryCount: 0 });
    await f.s3.putObjects([
      ['a-small.txt', 'hello'],
      ['big.bin', Buffer.alloc(BIG, 1)],
    ]);
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key === 'big.bin' ? { kind: 'resetMidBody', afterBytes: 300 * 1024 } : undefined));
    const failed = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    expect(failed.run.status).toBe('FAILED');
    expect(Number((await f.row('big.bin'))!.lastPosition)).toBeGreaterThan(0);
    expect(Number(failed.run.bytesDone)).toBe(5);
    expect(f.events.find((e) => e.kind === 'RUN_FINISHED')!.bytesTransferred).toBe(5);

    proxy.setRule(undefined);
    f.events.length = 0;
    const resumed = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    expect(resumed.run.status).toBe('SUCCEEDED');
    expect(Number(resumed.run.bytesDone)).toBe(5 + BIG);
    expect(f.events.find((e) => e.kind === 'RUN_FINISHED')!.bytesTransferred).toBe(5 + BIG);
  });
});
