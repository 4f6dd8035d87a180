import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { waitFor } from '../helpers/poll.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startCli } from './sync-cli.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * The fewest keys the assertions below still mean the same at: the no-op rerun lists as eight key
 * ranges (LIST_CONCURRENCY's default) only with 5,000 stored keys a range; fewer keys, fewer ranges.
 */
const KEYS = 40_000;
/** The kill comes once the listing is past this key: 12 of 40 pages listed, the rest left to the resumed run. */
const KILL_AT = 12_000;
/** Every tenth object has bytes (a GET each); the others are empty (a row and an empty file, no GET): the test stays quick. */
const WITH_BYTES = KEYS / 10;
const sizeOf = (index: number) => (index % 10 === 0 ? 1 + (index % 64) : 0);
const CONCURRENCY = 16;
/** The row batcher's largest batch (row-batcher.ts): objects fetched but not committed when killed are fetched again. */
const ROW_BATCH = 500;
/** Pages a complete listing takes: a first page of 100 keys, then 1000 a page. */
const LIST_PAGES = 1 + Math.ceil((KEYS - 100) / 1000);

describe('a 40k-key prefix on the synthetic S3 server', () => {
  test('killed (-9) mid-listing, resumed: listed about once in all, each object fetched once; the no-op rerun makes no GET', async () => {
    await using f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf });
    const count = (where: object) => f.orm.em.fork().count(SyncObject, { jobId: f.jobId, ...where });
    const run = () => f.orm.em.fork().findOne(SyncRun, { jobId: f.jobId }, { orderBy: { id: 'desc' } });

    const env = { SYNC_CONCURRENCY: String(CONCURRENCY) };
    const first = startCli(f, s3.endpoint, { env });
    const killAt = s3.keyAt(KILL_AT);
    await waitFor(async () => ((await run())?.listAfter ?? '') >= killAt || undefined, 120_000, 'listing past 12k keys');
    first.child.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const cut = (await run())!;
    expect(cut.status).toBe('RUNNING');
    expect(cut.listingComplete).not.toBe(true);
    const listedBeforeKill = await count({ listedRunId: cut.id });
    expect(listedBeforeKill).toBeGreaterThanOrEqual(KILL_AT);
    expect(listedBeforeKill).toBeLessThan(KEYS);
    const listsBeforeKill = s3.counts.lists;

    const resumed = startCli(f, s3.endpoint, { env });
    const done = await resumed.exit;
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ runId: cut.id, status: 'SUCCEEDED', objectsTotal: KEYS, objectsDone: KEYS, objectsFailed: 0 });
    // The resumed run listed only what was left (a page or two re-read around the cut), not everything again.
    expect(s3.counts.lists - listsBeforeKill).toBeLessThanOrEqual(LIST_PAGES - Math.floor(listedBeforeKill / 1000) + 3);
    expect(s3.counts.lists).toBeLessThanOrEqual(LIST_PAGES + 4);
    // Every object fetched once, but for those in flight or fetched and not yet committed (one row batch) at the kill.
    expect(s3.counts.gets).toBeGreaterThanOrEqual(WITH_BYTES);
    expect(s3.counts.gets).toBeLessThanOrEqual(WITH_BYTES + ROW_BATCH + CONCURRENCY);
    expect(await count({ status: 'PROCESSED' })).toBe(WITH_BYTES);
    expect(await count({ status: 'SKIPPED' })).toBe(KEYS - WITH_BYTES);
    expect(await count({ listedRunId: cut.id })).toBe(KEYS);
    expect((await run())!.listingComplete).toBe(true);
    for (const index of [0, KILL_AT - 10, KILL_AT, KILL_AT + 1, 31_110, KEYS - 1]) {
      expect(await readFile(join(f.root, s3.keyAt(index))), s3.keyAt(index)).toEqual(s3.body(index));
    }

    s3.resetCounts();
    const rerun = await f.sync({ connector: f.connectorVia(s3.endpoint) });
    expect(rerun.status).toBe('SUCCEEDED');
    expect(rerun.run).toMatchObject({ objectsTotal: KEYS, objectsDone: KEYS, objectsSkipped: KEYS, listingComplete: true });
    // Listed as eight key ranges side by side (LIST_CONCURRENCY's default), each costing a request more at most.
    expect(s3.counts).toMatchObject({ gets: 0, heads: 0, startAfterLists: 7 });
    expect(s3.counts.lists).toBeLessThanOrEqual(LIST_PAGES + 7);
    expect(await count({ listedRunId: rerun.runId })).toBe(KEYS);
  }, 240_000);
});
