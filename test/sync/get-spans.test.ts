import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe('one ranged GET spans several chunks', () => {
  test('each chunk is checkpointed as its bytes land, while the GET is still streaming', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    // ~0.8 s of body: room for several checkpoints (fdatasync, then a row commit) even on a loaded machine.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 1024 * 1024 } : undefined));
    const big = seededBytes(12 * CHUNK + 5, 4);
    await f.s3.putObject('big.bin', big);
    const checkpoints: number[] = [];
    /** Checkpoints published while the proxy was still sending the GET's body. */
    const whileStreaming: number[] = [];
    const unlisten = f.bus.on((e) => {
      if (e.kind !== 'CHUNK') return;
      checkpoints.push(e.bytesTransferred);
      if (proxy.counts.getsInFlight > 0) whileStreaming.push(e.bytesTransferred);
    }, f.jobId);
    const result = await f.sync({ connector: f.connectorVia(proxy.endpoint) });
    unlisten();

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    // The default span (32 MiB) covers the whole object: one GET, no Range split per chunk.
    expect(f.s3.counts.getRanges.map((g) => g.range)).toEqual([`bytes=0-${big.length - 1}`]);
    // Yet progress was committed chunk by chunk as the body streamed in (several checkpoints before
    // the GET ended, all on chunk boundaries).
    expect(whileStreaming.length).toBeGreaterThanOrEqual(2);
    for (const position of checkpoints) expect(position % CHUNK === 0 || position === big.length).toBe(true);
    expect(checkpoints).toEqual([...checkpoints].sort((a, b) => a - b));
  });

  test('spans are split at the tuned size, rounded to whole chunks, and cover the object exactly once', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    const big = seededBytes(10 * CHUNK + 9, 5);
    await f.s3.putObject('big.bin', big);
    const result = await f.sync({ tuning: { getSpanBytes: 3 * CHUNK + 100 } });

    expect(result.status).toBe('SUCCEEDED');
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    const ranges = f.s3.counts.getRanges.map((g) => g.range!).sort((a, b) => Number(/=(\d+)/.exec(a)![1]) - Number(/=(\d+)/.exec(b)![1]));
    const span = 3 * CHUNK;
    expect(ranges).toEqual([`bytes=0-${span - 1}`, `bytes=${span}-${2 * span - 1}`, `bytes=${2 * span}-${3 * span - 1}`, `bytes=${3 * span}-${big.length - 1}`]);
  });
});
