// kill -9 after a new object's file was renamed into place and before its row said PROCESSED (the
// batched row commit of small files), then the object deleted at the source: with mirror deletes on,
// the next run must move that file to the trash like any other file the service wrote. Likewise when
// the object is left out by a filter instead. Found by a crash fuzzer.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gqlData, http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { holdWriteLock } from '../helpers/sqlite-write-lock.js';
import { startInstance } from '../multi/instance-process.js';

describe.skipIf(onPostgres)('kill -9 between a new file renamed into place and its row commit, then the object deleted at the source', () => {
  it.each(['deleted at the source', 'excluded by a filter'])('%s: mirror deletes move the file the service wrote to the trash (the local tree equals the source)', async (how) => {
    await using s3 = await startS3Server();
    const keys = Array.from({ length: 120 }, (_, i) => `data/${String(i).padStart(4, '0')}.txt`);
    await s3.putObjects(keys.map((key): [string, string] => [key, `body of ${key}`]), 16);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // Slow GETs until the crash: files land in place while the batched row commits wait for the lock.
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'latency', ms: 20 } : undefined));
    const work = await mkdtemp(join(tmpdir(), 'dss-crash-commit-'));
    const dbFile = join(work, 'scheduler.db');
    const root = join(work, 'downloads');
    const env = { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, DB_URL: `sqlite:${dbFile}`, DOWNLOAD_ROOT_FOLDER: root, RETRY_DELAY: '0.05' };
    let instance = await startInstance(env);
    try {
      const created = await http(instance.url, 'POST', '/api/v1/scheduler/create_job', {
        job_name: 'crash-commit',
        connector_type: 'S3',
        schedule: 'daily',
        connector_config: { bucket_name: s3.bucket, prefix: 'data/', mirror_deletes: true, max_delete_percent: 100, max_concurrency: 4 },
      });
      expect(created.status).toBe(200);
      const jobId = created.body.job_id as string;
      const db = new Database(dbFile, { readonly: true });
      const query = <T>(sql: string, ...params: unknown[]) => (db.prepare(sql) as unknown as { all(...p: unknown[]): T[] }).all(...params);
      const committed = () => query<{ n: number }>(`select count(*) as n from sync_objects where job_id = ? and status = 'PROCESSED'`, jobId)[0]!.n;
      await waitFor(() => committed() >= 20, 30_000, 'some objects committed');

      // The batched row commits now wait; downloads go on and files are renamed into place.
      const lock = await holdWriteLock(dbFile);
      const onDiskNotCommitted = () => {
        const rows = query<{ key: string; status: string; local_path: string | null }>(`select object_key as key, status, local_path from sync_objects where job_id = ?`, jobId);
        return rows.filter((row) => row.status !== 'PROCESSED' && existsSync(join(root, jobId, row.key)));
      };
      const uncommitted = await waitFor(() => (onDiskNotCommitted().length >= 3 ? onDiskNotCommitted() : undefined), 20_000, 'files in place whose rows are not committed');
      await instance.kill9();
      await lock.release();
      proxy.setRule(undefined);
      // The crash left them so: the file complete at its final path, the row unfinished and without a local path.
      expect(uncommitted[0]).toMatchObject({ local_path: null });

      // Those objects are deleted at the source (or left out by the job's filters) before the next run.
      const gone = uncommitted.map((row) => row.key);
      if (how === 'deleted at the source') for (const key of gone) await s3.deleteObject(key);
      instance = await startInstance(env);
      if (how === 'excluded by a filter') {
        const exclude = gone.map((key) => key.slice('data/'.length));
        expect((await http(instance.url, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, connector_config: { exclude } })).status).toBe(200);
      }
      // The resumed run, then one more: the source no longer holds `gone`.
      const api = () => ({ graphqlUrl: `${instance.url}/graphql` });
      const RUNS = `query ($id: ID!) { runs(jobId: $id, first: 20) { edges { node { id status error } } } }`;
      // Waited for in the database file: an API request every few milliseconds would take the CPU from the run.
      const idle = () => query<{ n: number }>(`select count(*) as n from sync_runs where job_id = ? and status = 'RUNNING'`, jobId)[0]!.n === 0;
      await waitFor(idle, { timeoutMs: 60_000, what: 'the resumed run to end' });
      const trigger = await gqlData(api(), `mutation ($id: ID!) { triggerJob(id: $id) { run { id } } }`, { id: jobId });
      await waitFor(idle, { timeoutMs: 60_000, what: 'the run to end' });
      db.close();
      const runs = (await gqlData(api(), RUNS, { id: jobId })).runs.edges.map((e: { node: { id: string; status: string } }) => e.node);
      expect(runs.find((run: { id: string }) => run.id === trigger.triggerJob.run.id)).toMatchObject({ status: 'SUCCEEDED' });

      // What a user checks: the local tree is the source's.
      const local = (await readdir(join(root, jobId, 'data'))).map((name) => `data/${name}`).sort();
      const expected = keys.filter((key) => !gone.includes(key)).sort(); // with the filter, the excluded keys' files go to the trash too
      expect(local.filter((key) => gone.includes(key)), `files of objects ${how}, mirror deletes on`).toEqual([]);
      expect(local).toEqual(expected);
    } finally {
      await instance.kill9();
      await rm(work, { recursive: true, force: true });
    }
  }, 120_000);
});
