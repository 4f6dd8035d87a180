// A prefix change through update_job while a run goes, the process killed (kill -9) after the new
// prefix is committed and before the cancelled run ended: the next start must not resume that run
// with the new prefix from the old one's listing position.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createJobRunner } from '../../src/scheduler/job-runner.js';
import type { JobRunner } from '../../src/scheduler/job-runner-types.js';
import { createServices } from '../../src/services/services.js';
import { createRunExecutor } from '../../src/sync/run-executor.js';
import { waitFor } from '../helpers/poll.js';
import { startSyncFixture, type SyncFixture } from './sync-fixture.js';

const logger = pino({ level: 'silent' });
const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);

/** The job (prefix `b/`, mirror deletes on) synced once over `a/` and `b/` keys: the state an update of its prefix to `a/` starts from. */
async function syncedOverTwoPrefixes(f: SyncFixture, aCount: number, bCount: number) {
  await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
  const aKeys = keys('a/', aCount);
  const bKeys = keys('b/', bCount);
  await f.s3.putObjects([...aKeys, ...bKeys].map((key): [string, string] => [key, `body of ${key}`]));
  expect((await f.sync()).status).toBe('SUCCEEDED');
  return { aKeys, bKeys };
}

describe('update_job of the prefix, the process killed before its run stopped', () => {
  test('the next start ends that run and syncs the new prefix; the old rows go, their files stay (mirror deletes on)', async () => {
    await using f = await startSyncFixture({ prefix: 'b/' });
    const { aKeys, bKeys } = await syncedOverTwoPrefixes(f, 50, 60);
    // A rerun killed after recording its listing position: the page up to b/0029 is in.
    const cutShort = await f.createRun();
    await f.orm.em.fork().nativeUpdate(SyncRun, { id: cutShort }, { listAfter: 'b/0029', listingComplete: false });

    // The update goes as far as stopping the run: the process dies there.
    const dyingRunner = createJobRunner({ orm: f.orm, execute: createRunExecutor({ orm: f.orm, bus: f.bus, config: f.config, logger }), logger });
    const killedAtCancel: JobRunner = { ...dyingRunner, cancel: () => Promise.reject(new Error('kill -9')) };
    const dying = createServices({ orm: f.orm, runner: killedAtCancel, defaultPageSize: 100, downloadRoot: f.config.downloadRoot });
    await expect(dying.lifecycle.update(f.jobId, { connectorConfig: { prefix: 'a/' } })).rejects.toThrow('kill -9');

    const runner = createJobRunner({
      orm: f.orm,
      execute: createRunExecutor({ orm: f.orm, bus: f.bus, config: f.config, logger }),
      logger,
      tickMs: 3_600_000,
      instanceId: 'test-instance',
    });
    await runner.start();
    await waitFor(async () => !runner.isRunning(f.jobId) && (await f.orm.em.fork().count(SyncRun, { jobId: f.jobId, status: 'RUNNING' })) === 0, 30_000, 'runs ended');
    await runner.stop();

    const runs = await f.orm.em.fork().find(SyncRun, { jobId: f.jobId }, { orderBy: { id: 'asc' } });
    expect(runs.map((run) => [run.trigger, run.status])).toEqual([
      ['MANUAL', 'SUCCEEDED'],
      ['MANUAL', 'CANCELLED'],
      ['UPDATE', 'SUCCEEDED'],
    ]);
    const rows = await f.rows();
    expect(rows.map((row) => [row.key, row.status])).toEqual(aKeys.map((key) => [key, 'PROCESSED']));
    for (const key of aKeys) expect(await readFile(join(f.root, key), 'utf8')).toBe(`body of ${key}`);
    // The old prefix's downloads stay where they are (README, Lifecycle): none went to the trash.
    expect(bKeys.filter((key) => existsSync(join(f.root, key)))).toEqual(bKeys);
    expect(existsSync(join(f.root, '.dss-trash'))).toBe(false);
  });

  test('a new prefix committed by an update cut short before it removed the old rows: the next run removes them and trashes none of their files', async () => {
    await using f = await startSyncFixture({ prefix: 'b/' });
    const { aKeys, bKeys } = await syncedOverTwoPrefixes(f, 5, 5);
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { prefix: 'a/' });

    expect((await f.sync()).status).toBe('SUCCEEDED');
    expect((await f.rows()).map((row) => row.key)).toEqual(aKeys);
    expect(bKeys.filter((key) => existsSync(join(f.root, key)))).toEqual(bKeys);
    expect(existsSync(join(f.root, '.dss-trash'))).toBe(false);
  });
});
