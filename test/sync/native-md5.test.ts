import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { truncate, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileMd5 } from '../../src/sync/local/linux-fs.js';
import type { EtagMd5 } from '../../src/sync/verify/checksum.js';
import { createHashPool } from '../../src/sync/verify/hash-worker.js';
import { createRunningChecksum } from '../../src/sync/verify/hashers.js';
import { createTurns, followWithNativeMd5, RANGE_BYTES, type NativeMd5 } from '../../src/sync/verify/native-md5.js';
import { seededBytes, tempDir } from '../helpers/files.js';

// The addon is built by `npm ci` on Linux; a missing one there is a failure, not a reason to skip.
const native = process.platform === 'linux' ? fileMd5() : null;
const onLinux = process.platform === 'linux' ? describe : describe.skip;

const addonPath = process.platform === 'linux' ? createRequire(import.meta.url).resolve('dss-linux-fs') : '';

/**
 * A process whose main thread never loads the addon: worker threads load it, start hashing `path`
 * and are ended mid-hash, one after another; it prints the rounds survived and whether the addon is
 * still mapped after them.
 */
const workersEndedMidHash = `
const { Worker } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const [addon, path, rounds] = process.argv.slice(1);
const code = \`
  const native = require(\${JSON.stringify(addon)});
  const fd = require('node:fs').openSync(\${JSON.stringify(path)}, 'r');
  native.md5Range(native.md5Create(), fd, 0, require('node:fs').fstatSync(fd).size);
  require('node:worker_threads').parentPort.postMessage('hashing');
\`;
let ended = 0;
const round = () => {
  const worker = new Worker(code, { eval: true });
  worker.once('message', () => setTimeout(async () => {
    await worker.terminate();
    if (++ended < Number(rounds)) return round();
    const mapped = readFileSync('/proc/self/maps', 'utf8').includes(addon);
    console.log(JSON.stringify({ ended, mapped }));
  }, 5));
};
round();
`;

const md5Hex = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** A multipart upload's ETag of `bytes` in parts of `partSize`, by the hashers the worker uses. */
async function multipartEtag(bytes: Buffer, partSize: number): Promise<EtagMd5> {
  const checksum = (await createRunningChecksum('MD5', partSize))!;
  checksum.update(bytes);
  return { algorithm: 'MD5', hex: Buffer.from(checksum.digest()).toString('hex'), parts: { count: Math.ceil(bytes.length / partSize), size: partSize } };
}

/** Nice values of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

onLinux('the native MD5 hasher (native/linux-fs, file-md5.c)', () => {
  it('is built here, and refuses a state it did not make', () => {
    expect(native).not.toBeNull();
    expect(() => native!.md5Range({}, 0, 0, 1)).toThrow(TypeError);
    expect(() => native!.md5Digest(Buffer.alloc(16))).toThrow(TypeError);
  });

  it('follows a growing prefix to the ETag MD5 of the whole file, and names a mismatch', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const bytes = seededBytes(3 * 1024 * 1024 + 123, 7);
    const path = join(dir.path, 'whole.partial');
    await writeFile(path, bytes);
    const turns = createTurns(2);
    const good = followWithNativeMd5(native!, turns, path, { algorithm: 'MD5', hex: md5Hex(bytes) });
    for (const end of [1, 65_536, 1024 * 1024, 2 * 1024 * 1024 + 5]) good.advance(end);
    expect(await good.finish(bytes.length)).toBeNull();
    good.close();

    const wrong = md5Hex(Buffer.from('other bytes'));
    const bad = followWithNativeMd5(native!, turns, path, { algorithm: 'MD5', hex: wrong });
    expect(await bad.finish(bytes.length)).toBe(`MD5 mismatch: expected ${wrong}, got ${md5Hex(bytes)}`);
    bad.close();
  });

  it('computes a multipart ETag part by part, a last part short or whole', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const partSize = 1024 * 1024;
    for (const size of [2 * partSize + 4321, 3 * partSize]) {
      const bytes = seededBytes(size, size);
      const path = join(dir.path, `parts-${size}.partial`);
      await writeFile(path, bytes);
      const expected = await multipartEtag(bytes, partSize);
      const follower = followWithNativeMd5(native!, createTurns(1), path, expected);
      // Advances that end inside parts, on a part boundary and past it.
      for (const end of [partSize - 1, partSize, partSize + 10, 2 * partSize]) follower.advance(end);
      expect(await follower.finish(size), `${size} bytes`).toBeNull();
      follower.close();
    }
  });

  it('hashes a long prefix in ranges of RANGE_BYTES at most, so a close is never a whole file away', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const size = 3 * RANGE_BYTES + 5;
    const path = join(dir.path, 'resumed.partial');
    await writeFile(path, '');
    await truncate(path, size); // sparse: reads as zeros
    const ranges: Array<[number, number]> = [];
    const recording: NativeMd5 = { ...native!, md5Range: (state, fd, from, to) => (ranges.push([from, to]), native!.md5Range(state, fd, from, to)) };
    const follower = followWithNativeMd5(recording, createTurns(1), path, { algorithm: 'MD5', hex: md5Hex(Buffer.alloc(size)) });
    // A resumed download: its whole checkpointed prefix is there at once.
    follower.advance(size);
    expect(await follower.finish(size)).toBeNull();
    follower.close();
    expect(ranges).toEqual([
      [0, RANGE_BYTES],
      [RANGE_BYTES, 2 * RANGE_BYTES],
      [2 * RANGE_BYTES, 3 * RANGE_BYTES],
      [3 * RANGE_BYTES, size],
    ]);
  });

  it('fails the check when the file is shorter than its size, instead of hashing what is there', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const bytes = seededBytes(2 * 1024 * 1024, 3);
    const path = join(dir.path, 'cut.partial');
    await writeFile(path, bytes);
    await truncate(path, 1024 * 1024);
    const follower = followWithNativeMd5(native!, createTurns(1), path, { algorithm: 'MD5', hex: md5Hex(bytes) });
    await expect(follower.finish(bytes.length)).rejects.toMatchObject({ code: 'EIO', message: 'EIO: reading the downloaded bytes back to hash them failed' });
    follower.close();
  });

  it('stays loaded, its hash threads running, after the worker threads that loaded it end mid-hash', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const path = join(dir.path, 'ended-mid-hash.partial');
    await writeFile(path, Buffer.alloc(64 * 1024 * 1024, 1));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', workersEndedMidHash, addonPath, path, '8'], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ ended: 8, mapped: true });
  });

  it('hashes on threads at nice +10, and a pool given it starts no worker for an ETag', async () => {
    await using dir = await tempDir('dss-native-md5-');
    const bytes = seededBytes(4 * 1024 * 1024, 11);
    const path = join(dir.path, 'pool.partial');
    await writeFile(path, bytes);
    const pool = createHashPool({ maxWorkers: 1, native });
    try {
      const follower = pool.follow(path, { algorithm: 'MD5', hex: md5Hex(bytes) })!;
      expect(await follower.finish(bytes.length)).toBeNull();
      follower.close();
      expect(pool.threads()).toEqual({ alive: 0, started: 0 });
      expect(threadNiceValues()).toContain(10);
    } finally {
      await pool.close();
    }
  });
});

describe('the hash turns', () => {
  it('run no more tasks at once than the limit, the others in order as turns free up', async () => {
    const turns = createTurns(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const tasks = [0, 1, 2, 3].map((n) =>
      turns(async () => {
        started.push(n);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return n;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    while (releases.length > 0 || started.length < 4) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
    expect(most).toBe(2);
  });
});
