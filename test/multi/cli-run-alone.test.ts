import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { sha256, sha256File } from '../helpers/files.js';
import { http } from '../helpers/clients.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startCli } from '../sync/sync-cli.js';
import { startInstance } from './instance-process.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

describe('a run of `npm run sync` on the database a service instance shares', () => {
  it('is left to the CLI: the instance never helps with it, every byte is fetched once', async () => {
    const objects = numberedObjects('cli/', 8, 200_000);
    // A few seconds of fetching: the instance looks for runs to help with every RUN_LEASE_TTL/3.
    await using source = await startThrottledSource(objects, 512 * 1024);
    const env = source.instanceEnv({ INSTANCE_ID: 'b' });
    await using b = await startTestApp({ env });
    const job = await createPausedJobInService(b, { name: 'foreground', schedule: 'daily', bucket: source.s3.bucket, prefix: 'cli/' });

    const cli = startCli(
      { jobId: job.id, s3: source.s3, config: { dbUrl: env.DB_URL, downloadRoot: env.DOWNLOAD_ROOT_FOLDER } },
      source.proxy.endpoint,
      { env: { RUN_LEASE_TTL: '2s' } },
    );
    const exit = await cli.exit;
    expect(exit.code, `${exit.stderr}${exit.stdout}`).toBe(0);

    const runs = await b.orm.em.fork().find(SyncRun, { jobId: job.id });
    expect(runs.map((run) => [run.trigger, run.status, run.objectsDone])).toEqual([['CLI', 'SUCCEEDED', objects.length]]);
    const rows = await b.orm.em.fork().find(SyncObject, { jobId: job.id }, { orderBy: { key: 'asc' } });
    expect(rows.map((row) => [row.key, row.status, row.instanceId])).toEqual(objects.map(([key]) => [key, 'PROCESSED', 'sync-cli:cli']));
    expect(source.s3.counts.getBytes).toBe(objects.reduce((sum, [, body]) => sum + body.length, 0));
    for (const [key, body] of objects) expect(await sha256File(`${env.DOWNLOAD_ROOT_FOLDER}/${job.id}/${key}`)).toBe(sha256(body));
  });

  it('taking over a dead instance’s run: its helper stops and hands its claims back before the CLI lists; the run ends whole', async () => {
    // Enough that the helper, still fetching while A's lease runs out and the CLI starts, leaves work for the CLI.
    const objects = numberedObjects('takeover/', 48, 200_000);
    await using source = await startThrottledSource(objects, 512 * 1024);
    // The shortest lease: A's runs out a second after its kill, and B, which checks the run's lease
    // every RUN_LEASE_TTL/3, sees the CLI's sooner.
    const env = source.instanceEnv({ SYNC_CONCURRENCY: '2', RUN_LEASE_TTL: '2s' });
    const a = await startInstance({ ...env, INSTANCE_ID: 'a' });
    try {
      // B only helps: it takes no run over, so the dead A's run is the CLI's to take.
      await using b = await startTestApp({ env: { ...env, INSTANCE_ID: 'b' }, build: { takeOverRuns: false } });
      const job = await createPausedJobInService(b, { name: 'taken over', schedule: 'daily', bucket: source.s3.bucket, prefix: 'takeover/' });
      const triggered = await http(a.url, 'POST', '/api/v1/scheduler/trigger_job', { job_id: job.id });
      expect(triggered.status).toBe(200);
      const runId = Number(triggered.body.run.run_id);
      const em = () => b.orm.em.fork();
      await waitFor(async () => (await em().count(SyncObject, { jobId: job.id, status: 'PROCESSED', instanceId: 'b' })) >= 2, 30_000, 'b to help');
      await a.kill9();
      await waitFor(async () => (await em().findOneOrFail(SyncRun, { id: runId })).leaseExpiresAt! < new Date(), 10_000, "a's lease to expire");

      const cli = startCli(
        { jobId: job.id, s3: source.s3, config: { dbUrl: env.DB_URL, downloadRoot: env.DOWNLOAD_ROOT_FOLDER } },
        source.proxy.endpoint,
        // Eight GETs at a time: the CLI still fetches across several of B's lease checks.
        { env: { RUN_LEASE_TTL: '2s', SYNC_CONCURRENCY: '8' } },
      );
      // Once the CLI fetches, no helper may hold a live claim on the run (the dead A's have expired).
      let cliFetching = false;
      const helperClaimsWhileCliFetched: string[] = [];
      let ended = false;
      const watching = (async () => {
        while (!ended) {
          const at = new Date();
          const rows = await em().find(
            SyncObject,
            { runId, $or: [{ instanceId: 'sync-cli:cli' }, { claimExpiresAt: { $gt: at } }] },
            { fields: ['key', 'instanceId', 'claimOwner', 'claimExpiresAt', 'status'] },
          );
          cliFetching ||= rows.some((row) => row.instanceId === 'sync-cli:cli');
          const live = rows.filter((row) => row.claimExpiresAt && row.claimExpiresAt > at && ['PENDING', 'PROCESSING'].includes(row.status));
          if (cliFetching) helperClaimsWhileCliFetched.push(...live.map((row) => `${row.key} ${row.claimOwner}`));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const exit = await cli.exit;
      ended = true;
      await watching;
      expect(exit.code, `${exit.stderr}${exit.stdout}`).toBe(0);
      expect(cliFetching).toBe(true);
      expect(helperClaimsWhileCliFetched).toEqual([]);

      const run = await em().findOneOrFail(SyncRun, { id: runId });
      expect([run.status, run.objectsFailed, run.leaseOwner, run.sharesWork]).toEqual(['SUCCEEDED', 0, 'sync-cli:cli', false]);
      const rows = await em().find(SyncObject, { jobId: job.id }, { orderBy: { key: 'asc' } });
      expect(rows.map((row) => [row.key, row.status])).toEqual(objects.map(([key]) => [key, 'PROCESSED']));
      expect(new Set(rows.map((row) => row.instanceId))).toContain('sync-cli:cli');
      for (const [key, body] of objects) expect(await sha256File(`${env.DOWNLOAD_ROOT_FOLDER}/${job.id}/${key}`), key).toBe(sha256(body));
    } finally {
      await a.kill9();
    }
  }, 120_000);
});
