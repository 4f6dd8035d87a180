import { IsolationLevel } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { isWorthWaitingFor } from '../../src/db/database-outage.js';
import { driverLogTo } from '../../src/db/driver-log.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { freshDbUrl, onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';

describe.runIf(onPostgres)('the BEGIN of PostgreSQL transactions', () => {
  // A restart that cuts a connection as it sends BEGIN: the write must see the lost connection (and
  // wait it out), not a transaction handed over already ended ("Transaction query already complete").
  it('cut by a lost connection: a sync run\'s checkpoint write waits it out and goes through on the next attempt', async () => {
    await using relay = await startRelayedPostgres();
    const orm = await initOrm(relay.dbUrl, driverLogTo(captureLogs().logger));
    try {
      const jobId = '00000000-0000-4000-8000-00000000b001';
      await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'begin cut', connectorType: 'S3', bucketName: 'b', schedule: 'daily' }));
      const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'RUNNING', startedAt: new Date() });
      await orm.em.fork().persistAndFlush(run);
      const waitedFor: unknown[] = [];
      const store = createCheckpointStore(orm, jobId, run.id, 'inst-1', undefined, { onWait: (error) => waitedFor.push(error) });

      relay.cutAtQuery('BEGIN');
      await store.upsert(['a.bin', 'b.bin'].map((key) => ({ remote: { key, size: 3, etag: '"e"', lastModified: null, checksumAlgorithms: [] }, stored: undefined, lastPosition: 0 })));

      expect(relay.queriesCut).toBe(1);
      expect(waitedFor).toHaveLength(1);
      expect(String(waitedFor[0])).not.toMatch(/already complete/);
      expect(isWorthWaitingFor(waitedFor[0])).toBe(true);
      const rows = await orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } });
      expect(rows.map((row) => [row.key, row.status, row.runId])).toEqual([
        ['a.bin', 'PENDING', run.id],
        ['b.bin', 'PENDING', run.id],
      ]);
    } finally {
      await orm.close(true);
    }
  });

  it('a transaction asked for an isolation level or read only still gets them', async () => {
    const orm = await initOrm(await freshDbUrl(''));
    try {
      const settings = await orm.em.fork().transactional(
        (em) => em.getConnection().execute<Array<{ isolation: string; readOnly: string }>>(
          "select current_setting('transaction_isolation') as isolation, current_setting('transaction_read_only') as \"readOnly\"",
          [],
          'all',
          em.getTransactionContext(),
        ),
        { isolationLevel: IsolationLevel.SERIALIZABLE, readOnly: true },
      );
      expect(settings).toEqual([{ isolation: 'serializable', readOnly: 'on' }]);
    } finally {
      await orm.close(true);
    }
  });
});
