import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';
import { createThreadRunExecutor, type ThreadRunExecutor } from '../../src/sync/engine-thread/thread-executor.js';
import { http } from '../helpers/clients.js';
import { listTree, seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startOwnPostgresSource } from './own-postgres-source.js';

const CHUNK = 256 * 1024;
const CONCURRENCY = 2;
/**
 * DB_OUTAGE_WAIT of the running sync (its minimum): each outage below lasts until the give-up is
 * logged, so longer than this.
 */
const OUTAGE_WAIT = '1s';
/**
 * DB_OUTAGE_WAIT of the thread's first opening, which counts from before its first initOrm: on a
 * loaded machine that first attempt alone can take seconds to fail, and the thread must still wait
 * after it. Waits double from 100 ms, so with a first attempt of a second or two the give-up comes at
 * about the same attempt for anything from 4 to 6 s.
 */
const FIRST_OPEN_OUTAGE_WAIT = '5s';

type Logs = ReturnType<typeof captureLogs>;

function logged(logs: Logs, msg: string | RegExp, runId?: number): boolean {
  return logs.lines.some((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))) && (runId === undefined || l.runId === runId));
}

async function runEnd(app: TestApp, runId: number): Promise<SyncRun> {
  return waitFor(async () => {
    const row = await app.orm.em.fork().findOne(SyncRun, { id: runId });
    return row && row.status !== 'RUNNING' ? row : undefined;
  }, 60_000, 'the run to end');
}

async function expectMirrored(app: TestApp, jobId: string, objects: Array<[string, Buffer]>): Promise<void> {
  const root = join(app.config.downloadRoot, jobId);
  expect((await listTree(root)).filter((path) => !path.endsWith('/'))).toEqual(objects.map(([key]) => key).sort());
  for (const [key, body] of objects) expect(await sha256File(join(root, key)), key).toBe(sha256(body));
}

describe('DB_OUTAGE_WAIT on the engine thread (SYNC_THREAD=true), PostgreSQL down for longer', () => {
  it('a running sync gives up, is handed back, and the same run is resumed from its checkpoints once PostgreSQL is back', async () => {
    const objects: Array<[string, Buffer]> = [
      ...Array.from({ length: 12 }, (_, i): [string, Buffer] => [`data/small-${String(i).padStart(2, '0')}.bin`, seededBytes(150_000 + i, i)]),
      ['data/large.bin', seededBytes(12 * CHUNK + 1234, 99)],
    ];
    const totalBytes = objects.reduce((sum, [, body]) => sum + body.length, 0);
    await using source = await startOwnPostgresSource(objects, 512 * 1024);
    const { pg, s3, proxy } = source;
    const logs = captureLogs();
    const env = source.instanceEnv({ SYNC_CONCURRENCY: String(CONCURRENCY), S3_CHUNK_SIZE: String(CHUNK), INSTANCE_ID: 'a', SYNC_THREAD: 'true', DB_OUTAGE_WAIT: OUTAGE_WAIT });
    await using app = await startTestApp({ env, logger: logs.logger });
    const job = await createPausedJobInService(app, { name: 'outage give-up', schedule: 'daily', bucket: s3.bucket, prefix: 'data/' });
    const { run } = await app.services.lifecycle.trigger(job.id);
    // Committed before the outage (at least this much: commits may go on until PostgreSQL stops).
    const before = await waitFor(async () => {
      const rows = await app.orm.em.fork().find(SyncObject, { jobId: job.id }, { fields: ['key', 'status', 'lastPosition'] });
      const processed = rows.filter((r) => r.status === 'PROCESSED').map((r) => r.key);
      const largeAt = rows.find((r) => r.key === 'data/large.bin')?.lastPosition ?? 0;
      return processed.length >= 3 && largeAt >= 2 * CHUNK ? { processed, largeAt } : undefined;
    }, 60_000, 'a few objects and chunks to be committed');

    // Down until the run on the engine thread has given up waiting: longer than DB_OUTAGE_WAIT.
    await pg.restart(async () => {
      await waitFor(() => logged(logs, /^the database stayed unreachable or locked; sync run handed back/, run.id), 30_000, 'the run to give up and be handed back');
      s3.resetCounts();
    });
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
    proxy.liftThrottle();

    const finished = await runEnd(app, run.id);
    expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsTotal: objects.length, objectsDone: objects.length, objectsFailed: 0, error: null });
    expect(logged(logs, 'taking over a sync run whose lease expired', run.id), 'the handed-back run resumed').toBe(true);
    expect(await app.orm.em.fork().count(SyncRun, { jobId: job.id }), 'the same run resumed, not a new one').toBe(1);
    await expectMirrored(app, job.id, objects);
    // Resumed from its checkpoints: nothing committed before the outage is fetched again.
    const fetchedAgain = s3.counts.getRanges;
    expect(fetchedAgain.filter(({ key }) => before.processed.includes(key))).toEqual([]);
    const largeFrom = fetchedAgain.filter(({ key }) => key === 'data/large.bin').map(({ range }) => Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1] ?? 0));
    expect(Math.min(...largeFrom)).toBeGreaterThanOrEqual(before.largeAt);
    const committedBytes = objects.filter(([key]) => before.processed.includes(key)).reduce((sum, [, body]) => sum + body.length, 0) + before.largeAt;
    expect(s3.counts.getBytes).toBeLessThanOrEqual(totalBytes - committedBytes);
  }, 120_000);

  it("the thread's first opening of its database gives up: the run is handed back and resumed, the service keeps serving", async () => {
    const objects: Array<[string, Buffer]> = [
      ['data/a.bin', seededBytes(10_000, 1)],
      ['data/b.bin', seededBytes(20_000, 2)],
    ];
    await using source = await startOwnPostgresSource(objects);
    const { pg, s3 } = source;
    const logs = captureLogs();
    // The engine thread, built once the app's ORM is up; PostgreSQL is stopped before its first run reaches it.
    const real: { thread?: ThreadRunExecutor } = {};
    let outage: Promise<void> | undefined;
    const execute: RunExecutor = async (runId, signal, logger) => {
      if (!outage) {
        let down!: () => void;
        const isDown = new Promise<void>((resolve) => (down = resolve));
        outage = pg.restart(async () => {
          down();
          await waitFor(() => logged(logs, /^the sync engine thread could not open the database; sync run handed back/, runId), 30_000, 'the thread to give up opening its database');
        });
        await isDown;
      }
      return real.thread!(runId, signal, logger);
    };
    try {
      const env = source.instanceEnv({ INSTANCE_ID: 'a', DB_OUTAGE_WAIT: FIRST_OPEN_OUTAGE_WAIT });
      await using app = await startTestApp({ env, logger: logs.logger, build: { execute } });
      real.thread = createThreadRunExecutor({ orm: app.orm, bus: app.bus, config: app.config, logger: logs.logger });
      await using _thread = { [Symbol.asyncDispose]: () => real.thread!.close() };
      const job = await createPausedJobInService(app, { name: 'thread opening gives up', schedule: 'daily', bucket: s3.bucket, prefix: 'data/' });
      const { run } = await app.services.lifecycle.trigger(job.id);
      await waitFor(() => outage !== undefined, 5_000, 'the first run to reach the engine');
      await outage;
      expect(logged(logs, 'the sync engine thread waits for the database'), 'the thread waited before giving up').toBe(true);
      expect((await http(app, 'GET', '/healthz')).status).toBe(200);

      const finished = await runEnd(app, run.id);
      expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsDone: objects.length, objectsFailed: 0, error: null });
      expect(logged(logs, 'taking over a sync run whose lease expired', run.id), 'the handed-back run resumed').toBe(true);
      expect(await app.orm.em.fork().count(SyncRun, { jobId: job.id }), 'the same run resumed, not a new one').toBe(1);
      await expectMirrored(app, job.id, objects);
    } finally {
      await outage?.catch(() => undefined);
    }
  }, 120_000);
});
