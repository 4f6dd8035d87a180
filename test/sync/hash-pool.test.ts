import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createProcessSlots, type ProcessSlots } from '../../src/sync/transfer/process-slots.js';
import { createHashPool, type HashPoolOptions } from '../../src/sync/verify/hash-worker.js';
import { throttleObjectGets } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File, tempDir } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { CHUNK, startSyncFixture, type SyncFixture } from './sync-fixture.js';

/** Objects of 4 chunks or more are hashed on the pool's threads. */
const tuning = { workerHashMinBytes: 4 * CHUNK };

/** The process's bounds as the run executor makes them, with a hash pool of these options. */
function processSlots(f: SyncFixture, options: HashPoolOptions): ProcessSlots {
  return { ...createProcessSlots(f.config), hashes: createHashPool(options) };
}

async function expectStored(f: SyncFixture, objects: Record<string, Buffer>): Promise<void> {
  for (const [key, bytes] of Object.entries(objects)) expect(await sha256File(join(f.root, key)), key).toBe(sha256(bytes));
}

describe('one hash pool for every run of a process', () => {
  it('a run soon after another finds its hash worker started', async () => {
    await using f = await startSyncFixture();
    const slots = processSlots(f, { maxWorkers: 2 });
    try {
      const first = { 'a.bin': seededBytes(6 * CHUNK, 1) };
      await f.s3.putObjects(Object.entries(first));
      expect((await f.sync({ tuning, slots })).status).toBe('SUCCEEDED');
      expect(slots.hashes.threads()).toEqual({ alive: 1, started: 1 });

      const second = { 'b.bin': seededBytes(6 * CHUNK, 2) };
      await f.s3.putObjects(Object.entries(second));
      expect((await f.sync({ tuning, slots })).status).toBe('SUCCEEDED');
      expect(slots.hashes.threads()).toEqual({ alive: 1, started: 1 });
      await expectStored(f, { ...first, ...second });
    } finally {
      await slots.hashes.close();
    }
  });

  it('runs of two jobs at once share its threads, within its bound', async () => {
    await using a = await startSyncFixture();
    await using b = await startSyncFixture();
    const slots = processSlots(a, { maxWorkers: 1 });
    try {
      const objects = (seed: number) => ({ 'x.bin': seededBytes(6 * CHUNK, seed), 'y.bin': seededBytes(5 * CHUNK, seed + 1) });
      const [forA, forB] = [objects(10), objects(20)];
      await a.s3.putObjects(Object.entries(forA));
      await b.s3.putObjects(Object.entries(forB));

      const runs = await Promise.all([a.sync({ tuning, slots }), b.sync({ tuning, slots })]);
      expect(runs.map((run) => run.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(slots.hashes.threads().started).toBe(1);
      await expectStored(a, forA);
      await expectStored(b, forB);
    } finally {
      await slots.hashes.close();
    }
  });

  it('a worker following no file ends when idle, also after a cancelled run; the next run starts one again', async () => {
    await using f = await startSyncFixture();
    const slots = processSlots(f, { maxWorkers: 2, idleMs: 50 });
    try {
      const big = seededBytes(24 * CHUNK, 3);
      await f.s3.putObject('big.bin', big);
      await using proxy = await throttleObjectGets(f.s3, 8 * CHUNK);
      const cancel = new AbortController();
      const cancelled = f.sync({ tuning, slots, signal: cancel.signal, connector: f.connectorVia(proxy.endpoint) });
      await waitFor(async () => ((await f.row('big.bin'))?.lastPosition ?? 0) >= CHUNK, 10_000, 'a checkpoint');
      expect(slots.hashes.threads().alive).toBe(1);
      cancel.abort();
      expect((await cancelled).status).toBe('CANCELLED');
      await waitFor(() => slots.hashes.threads().alive === 0, 2_000, 'the idle worker to end');

      proxy.liftThrottle();
      expect((await f.sync({ tuning, slots })).status).toBe('SUCCEEDED');
      expect(slots.hashes.threads().started).toBe(2);
      await expectStored(f, { 'big.bin': big });
    } finally {
      await slots.hashes.close();
    }
  });

  it('a worker keeps its process alive while it hashes a file, and not once it is idle', async () => {
    await using dir = await tempDir('dss-hash-exit-');
    const path = join(dir.path, 'object.partial');
    const bytes = seededBytes(16 * CHUNK, 4);
    await writeFile(path, bytes);
    const expected = { algorithm: 'MD5', hex: createHash('md5').update(bytes).digest('hex') };
    // Nothing else keeps this process alive while the digest is awaited; the idle time outlasts the test.
    const script = `
      const { createHashPool } = await import(${JSON.stringify(new URL('../../src/sync/verify/hash-worker.ts', import.meta.url).href)});
      const follower = createHashPool({ idleMs: 600_000 }).follow(${JSON.stringify(path)}, ${JSON.stringify(expected)});
      follower.advance(${bytes.length});
      console.log((await follower.finish(${bytes.length})) ?? 'verified');
      follower.close();`;
    const child = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 }).then(
      ({ stdout }) => ({ code: 0, stdout: stdout.trim() }),
      (error: { code?: number | string; signal?: string; stdout?: string }) => ({ code: error.signal ?? error.code, stdout: error.stdout?.trim() }),
    );
    expect(child).toEqual({ code: 0, stdout: 'verified' });
  });
});
