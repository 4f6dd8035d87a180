import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { deleteJobs } from '../../src/db/job-deletion.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createRunExecutor } from '../../src/sync/run-executor.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

/** One GET spans many chunks; at this rate a run is still mid-object when the test stops it. */
const SLOW_LINK = { kind: 'throttle', ms: 10, bytesPerSecond: 2 * 1024 * 1024 } as const;
const VERY_SLOW_LINK = { kind: 'throttle', ms: 10, bytesPerSecond: 256 * 1024 } as const;

describe('cancellation', () => {
  test('an abort stops the run at the next chunk boundary with checkpoints intact; the next run resumes', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? SLOW_LINK : undefined));
    const big = seededBytes(30 * CHUNK, 3);
    await f.s3.putObjects([['big.bin', big], ['later.txt', 'queued behind big']]);
    const controller = new AbortController();
    const unlisten = f.bus.on((e) => {
      if (e.kind === 'CHUNK' && e.bytesTransferred >= 3 * CHUNK) controller.abort();
    }, f.jobId);
    const connector = f.connectorVia(proxy.endpoint);
    const first = await f.sync({ signal: controller.signal, connector });
    unlisten();

    expect(first.status).toBe('CANCELLED');
    expect(first.run.status).toBe('CANCELLED');
    expect(first.run.finishedAt).toBeInstanceOf(Date);
    const row = (await f.row('big.bin'))!;
    expect(row.status).toBe('PROCESSING');
    expect(row.lastPosition).toBeGreaterThanOrEqual(3 * CHUNK);
    expect(row.lastPosition).toBeLessThan(big.length);
    expect((await stat(partialPathFor(f.root, 'big.bin'))).size).toBeGreaterThanOrEqual(row.lastPosition);
    expect(existsSync(join(f.root, 'big.bin'))).toBe(false);
    expect(f.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'CANCELLED' });

    f.s3.resetCounts();
    const second = await f.sync({ connector });
    expect(second.status).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges.find((g) => g.key === 'big.bin')?.range).toMatch(new RegExp(`^bytes=${row.lastPosition}-`));
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    expect(await sha256File(join(f.root, 'later.txt'))).toBe(sha256('queued behind big'));
  });

  test('a run row left RUNNING (its process died) is executed again by id and resumes; a finished run is left alone', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? SLOW_LINK : undefined));
    const big = seededBytes(40 * CHUNK, 8);
    await f.s3.putObject('big.bin', big);
    const connector = f.connectorVia(proxy.endpoint);
    const execute = createRunExecutor({ orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }), connector });
    const runId = await f.createRun();
    const controller = new AbortController();
    const unlisten = f.bus.on((e) => {
      if (e.kind === 'CHUNK' && e.bytesTransferred >= 2 * CHUNK) controller.abort();
    }, f.jobId);
    expect(await execute(runId, controller.signal)).toBe('CANCELLED');
    unlisten();
    const checkpoint = (await f.row('big.bin'))!.lastPosition;
    // As if the process had died before recording the end of the run:
    await f.orm.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'RUNNING', finishedAt: null });

    f.s3.resetCounts();
    expect(await execute(runId, new AbortController().signal)).toBe('SUCCEEDED');
    expect(f.s3.counts.getRanges[0]?.range).toMatch(new RegExp(`^bytes=${checkpoint}-`));
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    const run = await f.orm.em.fork().findOneOrFail(SyncRun, { id: runId });
    expect(run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: 1, objectsDone: 1, bytesDone: big.length });

    f.s3.resetCounts();
    expect(await execute(runId, new AbortController().signal)).toBe('SUCCEEDED');
    expect(f.s3.counts.requests).toBe(0);
  });

  test('deleting the job mid-run stops the run quietly (no throw, no rows left)', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    // Slower than the other tests: the deletion must commit before the run's last chunk does,
    // and on a loaded machine PostgreSQL's deletion has taken longer than 2 MB at 2 MB/s.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? VERY_SLOW_LINK : undefined));
    await f.s3.putObjects([
      ['big.bin', seededBytes(30 * CHUNK, 1)],
      ...Array.from({ length: 20 }, (_, i): [string, string] => [`s/${i}.txt`, `small ${i}`]),
    ]);
    let deletion: Promise<unknown> | undefined;
    const unlisten = f.bus.on((e) => {
      if (e.kind === 'CHUNK' && e.objectKey === 'big.bin' && !deletion) {
        // As the services delete a job (another instance's, say, while this one runs it).
        deletion = deleteJobs(f.orm, [f.jobId]);
      }
    }, f.jobId);
    const execute = createRunExecutor({ orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }), connector: f.connectorVia(proxy.endpoint) });
    const runId = await f.createRun();
    const status = await execute(runId, new AbortController().signal);
    unlisten();
    await deletion;

    expect(status).toBe('CANCELLED');
    // Whoever saw the run start (a subscriber, the metrics) sees it end, once.
    const runEvents = f.events.filter((e) => e.kind === 'RUN_STARTED' || e.kind === 'RUN_FINISHED');
    expect(runEvents.map((e) => [e.kind, e.runStatus])).toEqual([['RUN_STARTED', 'RUNNING'], ['RUN_FINISHED', 'CANCELLED']]);
    expect(runEvents[1]!.error).toBe('job deleted during the run');
    const em = f.orm.em.fork();
    expect(await em.count(SyncObject, { jobId: f.jobId })).toBe(0);
    expect(await em.count(SyncRun, { jobId: f.jobId })).toBe(0);
    expect(existsSync(join(f.root, 'big.bin'))).toBe(false);
  });

  test('a job deleted while its run applies mirror deletes: the run still ends with RUN_FINISHED', async () => {
    await using f = await startSyncFixture({ concurrency: 2 });
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
    const gone = Array.from({ length: 40 }, (_, i): [string, string] => [`gone/${String(i).padStart(2, '0')}`, `gone ${i}`]);
    await f.s3.putObjects([...gone, ['keep', 'keep']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    for (const [key] of gone) await f.s3.deleteObject(key);
    f.events.length = 0;
    let deletion: Promise<unknown> | undefined;
    const unlisten = f.bus.on((e) => {
      // As another instance deletes the job: no JobGoneError reaches the run, its end finds no row.
      if (e.kind === 'OBJECT_DELETED' && !deletion) deletion = deleteJobs(f.orm, [f.jobId]);
    }, f.jobId);
    const execute = createRunExecutor({ orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }) });
    const status = await execute(await f.createRun(), new AbortController().signal);
    unlisten();
    await deletion;

    expect(status).toBe('CANCELLED');
    // Before: RUN_STARTED only.
    const runEvents = f.events.filter((e) => e.kind === 'RUN_STARTED' || e.kind === 'RUN_FINISHED');
    expect(runEvents.map((e) => [e.kind, e.runStatus, e.error])).toEqual([['RUN_STARTED', 'RUNNING', null], ['RUN_FINISHED', 'CANCELLED', 'job deleted during the run']]);
  });
});
