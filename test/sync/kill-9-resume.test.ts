import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startCli } from './sync-cli.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

const BIG_CHUNKS = 40;

describe('kill -9 during a sync, then run again', () => {
  test('killed three times at different points (≥ 2, 12, 30 chunks committed): each run resumes from the checkpoint; the last ends byte-identical', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    // A slow link makes the transfer long enough to be killed in the middle (one GET spans many chunks);
    // GETs resuming past chunk 8 are slower still, so ~1 s is left when the last kill point (30 chunks) is reached.
    let slow = true;
    proxy.setRule((req) => {
      if (!slow || req.method !== 'GET' || !req.key) return undefined;
      const start = Number(/^bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      return { kind: 'throttle', ms: 15, bytesPerSecond: start >= 8 * CHUNK ? 512 * 1024 : 1024 * 1024 };
    });
    const big = seededBytes(BIG_CHUNKS * CHUNK + 321, 7);
    const smalls: Array<[string, Buffer]> = Array.from({ length: 6 }, (_, i) => [`small/${i}.txt`, seededBytes(5000 + i, i)]);
    await f.s3.putObjects([['big.bin', big], ...smalls]);
    const bigRanges = () => f.s3.counts.getRanges.filter((g) => g.key === 'big.bin').map((g) => g.range!);

    let committed = 0;
    for (const killAfterChunks of [2, 12, 30]) {
      f.s3.resetCounts();
      const run = startCli(f, proxy.endpoint);
      await waitFor(async () => {
        const row = await f.row('big.bin');
        return row && row.lastPosition >= killAfterChunks * CHUNK ? row : undefined;
      }, 30_000, `${killAfterChunks} chunks committed`);
      run.child.kill('SIGKILL');
      expect((await run.exit).signal).toBe('SIGKILL');
      // This run started where the previous one's checkpoint was.
      if (committed > 0) expect(bigRanges()[0]).toMatch(new RegExp(`^bytes=${committed}-`));

      const row = (await f.row('big.bin'))!;
      expect(row.lastPosition).toBeGreaterThanOrEqual(Math.max(committed, killAfterChunks * CHUNK));
      committed = row.lastPosition;
      expect(committed % CHUNK === 0 || committed === big.length).toBe(true);
      if (committed < big.length) {
        expect(row.status).toBe('PROCESSING');
        // The checkpoint never runs ahead of the bytes on disk.
        expect((await stat(partialPathFor(f.root, 'big.bin'))).size).toBeGreaterThanOrEqual(committed);
      }
    }

    // Nothing is killed any more: the last run may go at full speed.
    slow = false;
    f.s3.resetCounts();
    const last = startCli(f, proxy.endpoint);
    const done = await last.exit;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'SUCCEEDED', objectsFailed: 0 });
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    for (const [key, body] of smalls) expect(await sha256File(join(f.root, key)), key).toBe(sha256(body));
    const refetched = bigRanges().reduce((sum, range) => {
      const [start, end] = range.replace('bytes=', '').split('-').map(Number);
      return sum + end! - start! + 1;
    }, 0);
    expect(refetched).toBeLessThanOrEqual(big.length - committed);
    if (committed < big.length) expect(bigRanges()[0]).toMatch(new RegExp(`^bytes=${committed}-`));
    const rows = await f.rows();
    expect(rows.every((r) => r.status === 'PROCESSED' && r.lastPosition === r.size)).toBe(true);
  });
});
