// The state a kill -9 leaves between a new object's file renamed into place (or an empty object's
// file created) and its row's batched commit: the file complete, the row PENDING with no local
// path. The service must recognise that file as its own (mirror deletes), and never a user's own
// file in its place. crash-before-row-commit-mirror.test.ts produces the state with a real kill -9.
import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { executeSyncRun } from '../../src/sync/run/sync-run.js';
import { previewSync } from '../../src/sync/sync-preview.js';
import { startSyncFixture, type SyncFixture } from './sync-fixture.js';

const GONE_BEFORE_DOWNLOADED = 'deleted at the source before its download finished';

/** Synced once with mirror deletes on: keep.txt, gone.txt and the empty empty.txt. */
async function synced(f: SyncFixture) {
  await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
  await f.s3.putObjects([['keep.txt', 'kept'], ['gone.txt', 'body of gone'], ['empty.txt', '']]);
  expect((await f.sync()).status).toBe('SUCCEEDED');
}

/** Rows put back as the crash left them: unfinished, no local path; listed by `listedRunId` when given. */
async function crashedBeforeCommit(f: SyncFixture, keys: string[], listedRunId: number | null = null) {
  await f.orm.em.fork().nativeUpdate(SyncObject, { jobId: f.jobId, key: { $in: keys } }, { status: 'PENDING', lastPosition: 0, localPath: null, listedRunId });
}

const trashed = (f: SyncFixture, runId: number, key: string) => readFile(join(f.root, '.dss-trash', String(runId), key), 'utf8');

describe('a file published before a crash, its row never committed', () => {
  test('its object deleted at the source: the next run moves the file (and an empty one) to the trash', async () => {
    await using f = await startSyncFixture();
    await synced(f);
    await crashedBeforeCommit(f, ['gone.txt', 'empty.txt']);
    await f.s3.deleteObject('gone.txt');
    await f.s3.deleteObject('empty.txt');

    const run = await f.sync();
    expect(run.status).toBe('SUCCEEDED');
    expect(existsSync(join(f.root, 'gone.txt'))).toBe(false);
    expect(existsSync(join(f.root, 'empty.txt'))).toBe(false);
    expect(await trashed(f, run.runId, 'gone.txt')).toBe('body of gone');
    expect(await trashed(f, run.runId, 'empty.txt')).toBe('');
    expect((await f.rows()).map((row) => [row.key, row.status])).toEqual([
      ['empty.txt', 'DELETED'],
      ['gone.txt', 'DELETED'],
      ['keep.txt', 'PROCESSED'],
    ]);
  });

  test('its object excluded by a filter: the next run moves the file to the trash', async () => {
    await using f = await startSyncFixture();
    await synced(f);
    await crashedBeforeCommit(f, ['gone.txt']);
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { excludePatterns: ['gone.txt'] });

    const run = await f.sync();
    expect(run.status).toBe('SUCCEEDED');
    expect(existsSync(join(f.root, 'gone.txt'))).toBe(false);
    expect(await trashed(f, run.runId, 'gone.txt')).toBe('body of gone');
    expect(await f.row('gone.txt')).toMatchObject({ status: 'DELETED' });
  });

  test("a user's own file in its place (another size, or another mtime): left where it is, the row unfinished without a path", async () => {
    await using f = await startSyncFixture();
    await synced(f);
    await f.s3.putObjects([['other.txt', 'body of other']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await crashedBeforeCommit(f, ['gone.txt', 'other.txt']);
    await writeFile(join(f.root, 'gone.txt'), "the user's own, longer file");
    const sameSize = 'BODY OF OTHER';
    await writeFile(join(f.root, 'other.txt'), sameSize);
    await utimes(join(f.root, 'other.txt'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    await f.s3.deleteObject('gone.txt');
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { excludePatterns: ['other.txt'] });

    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect(await readFile(join(f.root, 'gone.txt'), 'utf8')).toBe("the user's own, longer file");
    expect(await readFile(join(f.root, 'other.txt'), 'utf8')).toBe(sameSize);
    expect(existsSync(join(f.root, '.dss-trash'))).toBe(false);
    expect(await f.row('gone.txt')).toMatchObject({ status: 'FAILED', error: GONE_BEFORE_DOWNLOADED, localPath: null });
    expect(await f.row('other.txt')).toMatchObject({ status: 'EXCLUDED', lastPosition: 0, localPath: null });
  });

  test("previewSync, before a run recorded it, lists it under delete (not a user's own file in another's place)", async () => {
    await using f = await startSyncFixture();
    await synced(f);
    await f.s3.putObjects([['other.txt', 'body of other']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await crashedBeforeCommit(f, ['gone.txt', 'other.txt']);
    await writeFile(join(f.root, 'other.txt'), "the user's own, longer file");
    await f.s3.deleteObject('gone.txt');
    await f.s3.deleteObject('other.txt');

    const job = await f.orm.em.fork().findOneOrFail(Job, { id: f.jobId });
    const connector = f.connectorVia(f.s3.endpoint);
    const preview = await previewSync({ orm: f.orm, connectors: { acquire: () => ({ connector, release: () => {} }) }, downloadRoot: f.config.downloadRoot }, job);
    expect(preview.delete).toEqual({ objects: 1, bytes: 'body of gone'.length, keys: ['gone.txt'] });
    expect(preview.deletesBlocked).toBeNull();
  });

  test('the run cut short resumes: the file counts as downloaded without a GET, and goes to the trash once its object is deleted', async () => {
    await using f = await startSyncFixture();
    await synced(f);
    // The cut-short run had recorded its one page: every row listed by it, gone.txt's not committed.
    const cutShort = await f.createRun();
    await f.orm.em.fork().nativeUpdate(SyncRun, { id: cutShort }, { listAfter: 'keep.txt', listingComplete: false });
    await f.orm.em.fork().nativeUpdate(SyncObject, { jobId: f.jobId }, { listedRunId: cutShort });
    await crashedBeforeCommit(f, ['gone.txt'], cutShort);
    await f.s3.deleteObject('gone.txt');
    f.s3.resetCounts();

    const resumed = await executeSyncRun({ orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }) }, cutShort, new AbortController().signal);
    expect(resumed.status).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges.map((get) => get.key)).toEqual([]);
    expect(await f.row('gone.txt')).toMatchObject({ status: 'PROCESSED', lastPosition: 'body of gone'.length, localPath: join(f.root, 'gone.txt') });

    const next = await f.sync();
    expect(next.status).toBe('SUCCEEDED');
    expect(existsSync(join(f.root, 'gone.txt'))).toBe(false);
    expect(await trashed(f, next.runId, 'gone.txt')).toBe('body of gone');
  });
});
