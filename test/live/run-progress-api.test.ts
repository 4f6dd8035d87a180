import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { liftableThrottle, startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor as poll } from '../helpers/poll.js';
import { gqlData } from '../helpers/clients.js';
import { CHUNK_SIZE, createPausedJob, startLiveEnv, triggerJob } from './live-env.js';

interface RunRow {
  status: string;
  objectsTotal: number;
  objectsDone: number;
  bytesTotal: number;
  bytesDone: number;
}

describe('a run row is kept current while the run goes', () => {
  it('GraphQL runs() and REST /runs show totals and bytes done mid-run, growing with the checkpoints', async () => {
    let proxy: FaultProxy | undefined;
    /** A slow link until the test has watched the run mid-way: the large object takes seconds. */
    const slow = liftableThrottle(1024 * 1024, 5);
    await using env = await startLiveEnv({
      env: { SYNC_CONCURRENCY: '2' },
      s3Endpoint: async (s3) => {
        proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
        proxy.setRule((req) => (req.method === 'GET' && req.key.endsWith('.bin') ? slow.fault : undefined));
        return proxy.endpoint;
      },
    });
    await using _proxy = { [Symbol.asyncDispose]: () => proxy!.stop() };
    const large = seededBytes(48 * CHUNK_SIZE, 3);
    const smalls = Array.from({ length: 5 }, (_, i) => [`p/small-${i}.txt`, `small ${i}\n`] as [string, string]);
    await env.s3.putObjects([['p/large.bin', large], ...smalls]);
    const totalBytes = large.length + smalls.reduce((sum, [, body]) => sum + body.length, 0);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'p/');
    const runId = await triggerJob(env.app, jobId);

    const runsQuery = 'query ($jobId: ID!) { runs(jobId: $jobId, first: 1) { edges { node { id status objectsTotal objectsDone bytesTotal bytesDone } } } }';
    const graphqlRun = async () => (await gqlData<{ runs: { edges: Array<{ node: RunRow & { id: string } }> } }>(env.app, runsQuery, { jobId })).runs.edges[0]!.node;

    // Mid-run: the listing is complete, the small objects are done and the large one is part-way.
    const mid = await poll(
      async () => {
        const run = await graphqlRun();
        return run.status === 'RUNNING' && run.objectsTotal === 6 && run.bytesDone > 8 * CHUNK_SIZE ? run : null;
      },
      30_000,
      'a RUNNING run with bytes done',
    );
    expect(mid).toMatchObject({ id: runId, objectsTotal: 6, bytesTotal: totalBytes });
    expect(mid.bytesDone).toBeLessThan(totalBytes);
    expect(mid.objectsDone).toBeLessThan(6);

    const rest = await http(env.app, 'GET', `/api/v1/jobs/${jobId}/runs?limit=1`);
    expect(rest.status).toBe(200);
    const wire = rest.body.runs[0];
    expect(wire).toMatchObject({ run_id: Number(runId), status: 'RUNNING', objects_total: 6, bytes_total: String(totalBytes) });
    expect(Number(wire.bytes_done)).toBeGreaterThanOrEqual(mid.bytesDone);
    expect(Number(wire.bytes_done)).toBeLessThan(totalBytes);

    // It keeps moving before the end, then ends with exact totals.
    await poll(async () => (await graphqlRun()).bytesDone > mid.bytesDone + 4 * CHUNK_SIZE || (await graphqlRun()).status !== 'RUNNING', 30_000, 'bytesDone to grow');
    // Seen moving: the rest of the large object (its GET in flight too) need not crawl.
    slow.lift();
    await poll(async () => (await graphqlRun()).status === 'SUCCEEDED', 30_000, 'the run to end');
    const final = await env.app.orm.em.fork().findOneOrFail(SyncRun, { id: Number(runId) });
    expect(final).toMatchObject({ objectsTotal: 6, objectsDone: 6, bytesTotal: totalBytes, bytesDone: totalBytes });
  });
});
