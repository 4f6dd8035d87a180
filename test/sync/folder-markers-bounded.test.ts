import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startSyncFixture } from './sync-fixture.js';

/** One folder marker per hour partition, each with one small file below it (a data lake's layout). */
const MARKERS = 3_000;
const part = (m: number) => {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `year=${2000 + Math.floor(m / 8064)}/month=${p2((Math.floor(m / 672) % 12) + 1)}/day=${p2((Math.floor(m / 24) % 28) + 1)}/hour=${p2(m % 24)}/`;
};
const keyAt = (i: number) => (i % 2 === 0 ? part(i >> 1) : `${part(i >> 1)}part.bin`);
const sizeOf = (i: number) => (i % 2 === 0 ? 0 : 1 + ((i >> 1) % 64));

describe('folder markers of a listing in key order', () => {
  test('are placed page by page, not all held in memory until the listing ends', async () => {
    await using f = await startSyncFixture();
    await using s3 = await startSyntheticS3({ keys: 2 * MARKERS, bucket: f.s3.bucket, sizeOf, keyAt });
    let placedMidListing: Promise<number> | undefined;
    // List request 5 of 7 (1,000 keys a page after a small first one): over 1,000 markers recorded before it, the page in hand aside.
    s3.faults.beforeList = (n) => {
      if (n === 5) placedMidListing = f.orm.em.fork().count(SyncObject, { jobId: f.jobId, key: { $like: '%/' }, status: 'SKIPPED', localPath: { $ne: null } });
    };
    const first = await f.sync({ connector: f.connectorVia(s3.endpoint) });
    expect(first.status).toBe('SUCCEEDED');
    expect(first.run).toMatchObject({ objectsTotal: 2 * MARKERS, objectsDone: 2 * MARKERS, objectsFailed: 0 });
    for (const m of [0, 1234, MARKERS - 1]) expect(existsSync(join(f.root, part(m)))).toBe(true);
    // Markers held in memory until the listing's last page (9370d84, reverted) left 0 here.
    expect(await placedMidListing).toBeGreaterThan(0);
  }, 120_000);
});
