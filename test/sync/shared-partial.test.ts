import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { copyFile, unlink, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openPartial, type OpenPartial } from '../../src/sync/local/local-files.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * README, "The database is down or restarting": two sessions of a shared run whose claims ran out
 * during an outage may fetch one object into its one partial file. The seam plays the other session:
 * when this one closes the verified partial file, the other has just moved it into place.
 */
function anotherSessionPublishesFirst(publish: (partial: string) => Promise<void>): OpenPartial {
  return async (path, flags) => {
    const file = await openPartial(path, flags);
    const close = async () => {
      await file.close();
      await publish(path);
    };
    return new Proxy(file, {
      get(target, name) {
        if (name === 'close') return close;
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as FileHandle;
  };
}

describe('an object another session of the run published first', () => {
  test('is PROCESSED when the file in place is this version, not FAILED with ENOENT', async () => {
    await using f = await startSyncFixture({ chunkSize: 64 * 1024 });
    const body = seededBytes(300 * 1024, 7);
    await f.s3.putObject('shared.bin', body);
    const { LastModified } = await f.s3.client.send(new HeadObjectCommand({ Bucket: f.s3.bucket, Key: 'shared.bin' }));
    const final = join(f.root, 'shared.bin');

    const run = await f.sync({
      openPartial: anotherSessionPublishesFirst(async (partial) => {
        await copyFile(partial, final);
        await utimes(final, LastModified!, LastModified!);
        await unlink(partial);
      }),
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(await f.row('shared.bin')).toMatchObject({ status: 'PROCESSED', error: null });
    expect(await sha256File(final)).toBe(sha256(body));
  });

  test('fails, naming the partial file by its path, when what vanished was not put in place', async () => {
    await using f = await startSyncFixture({ chunkSize: 64 * 1024 });
    await f.s3.putObject('lost.bin', seededBytes(300 * 1024, 8));

    const run = await f.sync({ openPartial: anotherSessionPublishesFirst((partial) => unlink(partial)) });

    expect(run.status).toBe('FAILED');
    const row = await f.row('lost.bin');
    expect(row).toMatchObject({ status: 'FAILED' });
    expect(row?.error).toContain('ENOENT');
    expect(row?.error).toContain(join(f.root, '.dss-partial'));
    expect(row?.error).not.toContain('/proc/self/fd');
  });
});
