import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { createObjectClaims } from '../../src/sync/multi/object-claims.js';
import { startSyncFixture, type SyncFixture } from '../sync/sync-fixture.js';

const TTL_MS = 60_000;

/** `count` open rows of `runId`, keys `k00`, `k01`…, in id order. */
async function openRows(f: SyncFixture, runId: number, count: number): Promise<number[]> {
  const now = new Date();
  await f.orm.em.fork().insertMany(
    SyncObject,
    Array.from({ length: count }, (_, i) => ({ jobId: f.jobId, key: `k${String(i).padStart(2, '0')}`, size: 1, etag: null, lastPosition: 0, status: 'PENDING' as const, runId, createdAt: now, updatedAt: now })),
  );
  return (await f.orm.em.fork().find(SyncObject, { runId }, { orderBy: { id: 'asc' }, fields: ['id'] })).map((row) => row.id);
}

/**
 * A session claims from just past its last batch, so that a claim does not walk every row the run
 * has finished; rows that become claimable behind it (released, expired, listed again) are still
 * claimed once the rows ahead run short.
 */
describe('object claims', () => {
  test('claim in id order from past the last batch, then the rows behind that became claimable', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    const ids = await openRows(f, runId, 40);
    const session = (instanceId: string) => createObjectClaims({ orm: f.orm, jobId: f.jobId, runId, instanceId, ttlMs: TTL_MS, logger: pino({ level: 'silent' }) });
    const a = session('a');
    const b = session('b');
    const finish = (rowIds: number[]) => f.orm.em.fork().nativeUpdate(SyncObject, { id: { $in: rowIds } }, { status: 'PROCESSED' });

    expect((await a.claim(16)).map((row) => row.id)).toEqual(ids.slice(0, 16));
    expect((await b.claim(4)).map((row) => row.id)).toEqual(ids.slice(16, 20));
    expect((await a.claim(16)).map((row) => row.id)).toEqual(ids.slice(20, 36));
    await finish(ids.slice(0, 36).filter((id) => id !== ids[2] && id !== ids[17]));
    // Behind a's last batch: row 2 listed again (open, claim gone), row 17 still b's, claim expired.
    await f.orm.em.fork().nativeUpdate(SyncObject, { id: ids[2] }, { status: 'PENDING', claimOwner: null, claimExpiresAt: null });
    await f.orm.em.fork().nativeUpdate(SyncObject, { id: ids[17] }, { claimExpiresAt: new Date(Date.now() - 1000) });

    // The rows ahead first (a claim from the run's first id would have taken rows 2 and 17)…
    expect((await a.claim(2)).map((row) => row.id)).toEqual(ids.slice(36, 38));
    // …then, as they run short, the ones behind.
    expect((await a.claim(16)).map((row) => row.id)).toEqual([ids[2], ids[17], ...ids.slice(38, 40)]);
    expect(await a.claim(16)).toEqual([]);
    const owners = await f.orm.em.fork().find(SyncObject, { id: { $in: [ids[2]!, ids[17]!, ids[39]!] } }, { fields: ['claimOwner'] });
    expect(owners.map((row) => row.claimOwner)).toEqual([a.owner, a.owner, a.owner]);
  });

  test("a row's claim goes with its final state, so the release at the end touches only unfinished rows", async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    await openRows(f, runId, 6);
    const claims = createObjectClaims({ orm: f.orm, jobId: f.jobId, runId, instanceId: 'a', ttlMs: TTL_MS, logger: pino({ level: 'silent' }) });
    expect(await claims.claim(16)).toHaveLength(6);
    const store = createCheckpointStore(f.orm, f.jobId, runId, 'a', claims.owner);
    await store.commitMany([
      { key: 'k00', update: { status: 'PROCESSED', lastPosition: 1, localPath: '/x/k00', error: null } },
      { key: 'k01', update: { status: 'FAILED', error: 'boom' } },
      { key: 'k02', update: { status: 'EXCLUDED', error: null } },
    ]);
    const claimed = async () =>
      (await f.orm.em.fork().find(SyncObject, { runId, claimOwner: { $ne: null } }, { orderBy: { key: 'asc' }, fields: ['key'] })).map((row) => row.key);
    expect(await claimed()).toEqual(['k03', 'k04', 'k05']);
    await claims.releaseAll();
    expect(await claimed()).toEqual([]);
  });

  test('the renewal extends the claims of the open rows the session holds, the lowest among them included', async () => {
    await using f = await startSyncFixture();
    const runId = await f.createRun();
    await openRows(f, runId, 4);
    // A TTL of 600 ms: renewed every 200 ms.
    const claims = createObjectClaims({ orm: f.orm, jobId: f.jobId, runId, instanceId: 'a', ttlMs: 600, logger: pino({ level: 'silent' }) });
    expect(await claims.claim(16)).toHaveLength(4);
    const expiries = async () =>
      new Map((await f.orm.em.fork().find(SyncObject, { runId }, { fields: ['key', 'claimExpiresAt'] })).map((row) => [row.key, row.claimExpiresAt?.getTime() ?? null]));
    const claimedUntil = await expiries();
    const store = createCheckpointStore(f.orm, f.jobId, runId, 'a', claims.owner);
    await store.commitMany(['k01', 'k02'].map((key) => ({ key, update: { status: 'PROCESSED', lastPosition: 1, localPath: `/x/${key}`, error: null } })));
    await claims.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const renewed = await expiries();
      for (const key of ['k00', 'k03']) expect(renewed.get(key), key).toBeGreaterThan(claimedUntil.get(key)!);
      for (const key of ['k01', 'k02']) expect(renewed.get(key), key).toBeNull();
    } finally {
      await claims.stop();
    }
  });
});
