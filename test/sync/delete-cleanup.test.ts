import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { partialPathFor } from '../../src/sync/local/safe-path.js';
import { http } from '../helpers/clients.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listTree, seededBytes, sha256, sha256File, tempDir } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CHUNK = 64 * 1024;
const BIG = seededBytes(48 * CHUNK, 11);

/** s3rver behind a slow link, and an app syncing through it with 64 KiB checkpoints. */
async function startSlowSync() {
  const s3 = await startS3Server();
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  proxy.setRule((req) => (req.method === 'GET' && req.key === 'a/big.bin' ? { kind: 'throttle', ms: 0, bytesPerSecond: 512 * 1024 } : undefined));
  await s3.putObjects([
    ['a/big.bin', BIG],
    ['a/small.txt', 'small under a/'],
    ['b/other.txt', 'under b/'],
  ]);
  const app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: '64KiB', SYNC_CONCURRENCY: '2' } });
  return {
    s3,
    app,
    async [Symbol.asyncDispose]() {
      await app.stop();
      await proxy[Symbol.asyncDispose]();
      await s3[Symbol.asyncDispose]();
    },
  };
}

async function createJob(app: TestApp, prefix: string): Promise<string> {
  const res = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'cleanup',
    connector_type: 'S3',
    schedule: 'hourly',
    connector_config: { bucket_name: 'test-bucket', prefix },
  });
  expect(res.status).toBe(200);
  return res.body.job_id as string;
}

const rowOf = (app: TestApp, jobId: string, key: string) => app.orm.em.fork().findOne(SyncObject, { jobId, key });

/** Waits until the big object is part-way down: a checkpoint committed, its partial file on disk. */
async function midDownload(app: TestApp, jobId: string): Promise<string> {
  const partial = partialPathFor(join(app.config.downloadRoot, jobId), 'a/big.bin');
  await waitFor(async () => ((await rowOf(app, jobId, 'a/big.bin'))?.lastPosition ?? 0) >= 2 * CHUNK, 10_000, 'a checkpoint of a/big.bin');
  await waitFor(() => existsSync(join(app.config.downloadRoot, jobId, 'a/small.txt')), 10_000, 'a/small.txt synced');
  expect(existsSync(partial)).toBe(true);
  return partial;
}

describe('deleting a job cleans up its files', () => {
  it('REST delete_job mid-sync removes the rows and the partial downloads, keeps downloaded files', async () => {
    await using env = await startSlowSync();
    const { app } = env;
    const jobId = await createJob(app, 'a/');
    await midDownload(app, jobId);
    const folder = join(app.config.downloadRoot, jobId);

    const res = await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId });
    expect(res).toMatchObject({ status: 200, body: { message: 'Job deleted successfully' } });
    expect(await listTree(folder)).toEqual(['a/', 'a/small.txt']);
    expect(await sha256File(join(folder, 'a/small.txt'))).toBe(sha256('small under a/'));
    const em = app.orm.em.fork();
    expect(await em.count(SyncObject, { jobId })).toBe(0);
    expect(await em.count(SyncRun, { jobId })).toBe(0);
  });

  it('purge_files: true removes the whole job folder, removing links without following them', async () => {
    await using env = await startSlowSync();
    await using outside = await tempDir('dss-outside-');
    const { app } = env;
    await writeFile(join(outside.path, 'precious.txt'), 'not the job folder');
    const jobId = await createJob(app, 'a/');
    const keep = await createJob(app, 'b/');
    await midDownload(app, jobId);
    const folder = join(app.config.downloadRoot, jobId);
    await symlink(outside.path, join(folder, 'link-to-outside'));
    await symlink(outside.path, join(folder, 'a', 'nested-link'));

    const res = await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId, purge_files: true });
    expect(res.status).toBe(200);
    expect(existsSync(folder)).toBe(false);
    expect(await listTree(outside.path)).toEqual(['precious.txt']);
    // The other job's folder is untouched.
    await waitFor(() => existsSync(join(app.config.downloadRoot, keep, 'b/other.txt')), 10_000, 'b/other.txt synced');
  });

  it('a job that downloaded nothing leaves no folder behind', async () => {
    await using app = await startTestApp();
    const jobId = await createJob(app, 'a/');
    const folder = join(app.config.downloadRoot, jobId);
    // S3 is unreachable: the run creates the job folder and its .dss-partial/, then fails.
    await waitFor(async () => (await app.orm.em.fork().findOne(SyncRun, { jobId }))?.status === 'FAILED', 10_000, 'failed run');
    expect(await listTree(folder)).toEqual(['.dss-partial/']);
    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId })).status).toBe(200);
    expect(existsSync(folder)).toBe(false);
  });

  it('a job whose one download was unfinished leaves no folder behind, the folders that download made included', async () => {
    await using env = await startSlowSync();
    const { app } = env;
    const jobId = await createJob(app, 'a/big');
    await waitFor(async () => ((await rowOf(app, jobId, 'a/big.bin'))?.lastPosition ?? 0) >= 2 * CHUNK, 10_000, 'a checkpoint of a/big.bin');
    const folder = join(app.config.downloadRoot, jobId);
    // The partial file (and the run's lock) in .dss-partial/, and the folder the download made.
    const tree = await listTree(folder);
    expect(tree.filter((path) => !path.startsWith('.dss-partial/'))).toEqual(['a/']);
    expect(tree.some((path) => path.endsWith('.partial'))).toBe(true);

    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId })).status).toBe(200);
    expect(existsSync(folder)).toBe(false);
  });

  it('refuses a purge_files that is not a boolean (400 naming it) and deletes nothing', async () => {
    await using app = await startTestApp();
    const jobId = await createJob(app, 'a/');
    const folder = join(app.config.downloadRoot, jobId);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'kept.txt'), 'x');
    for (const purge of ['yes', 1, 'true', {}]) {
      const res = await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId, purge_files: purge });
      expect(res).toMatchObject({ status: 400, body: { message: 'purge_files must be true or false' } });
      const bulk = await http(app, 'POST', '/api/v1/scheduler/delete_jobs', { job_ids: [jobId], purge_files: purge });
      expect(bulk).toMatchObject({ status: 400, body: { message: 'purge_files must be true or false' } });
    }
    expect((await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${jobId}`)).status).toBe(200);
    expect(existsSync(join(folder, 'kept.txt'))).toBe(true);
  });

  it('GraphQL deleteJob(purgeFiles: true) and deleteJobs(purgeFiles: false)', async () => {
    await using env = await startSlowSync();
    const { app } = env;
    const purged = await createJob(app, 'b/');
    const kept = await createJob(app, 'a/');
    await waitFor(() => existsSync(join(app.config.downloadRoot, purged, 'b/other.txt')), 10_000, 'b/other.txt synced');
    await midDownload(app, kept);

    const one = await http(app, 'POST', '/graphql', {
      query: 'mutation($id: ID!) { deleteJob(id: $id, purgeFiles: true) { deletedJobId } }',
      variables: { id: purged },
    });
    expect(one.body).toEqual({ data: { deleteJob: { deletedJobId: purged } } });
    expect(existsSync(join(app.config.downloadRoot, purged))).toBe(false);

    const bad = await http(app, 'POST', '/graphql', {
      query: 'mutation($ids: [ID!]!) { deleteJobs(ids: $ids, purgeFiles: "yes") { deletedJobIds } }',
      variables: { ids: [kept] },
    });
    expect(bad.body.errors[0].message).toMatch(/Boolean/);
    const many = await http(app, 'POST', '/graphql', {
      query: 'mutation($ids: [ID!]!) { deleteJobs(ids: $ids) { deletedJobIds } }',
      variables: { ids: [kept] },
    });
    expect(many.body).toEqual({ data: { deleteJobs: { deletedJobIds: [kept] } } });
    expect(await listTree(join(app.config.downloadRoot, kept))).toEqual(['a/', 'a/small.txt']);
  });
});

describe('changing the prefix during a run', () => {
  it('cancels the run, starts one with the new prefix, and drops the rows of keys outside it (files stay)', async () => {
    await using env = await startSlowSync();
    const { app } = env;
    const jobId = await createJob(app, 'a/');
    const partial = await midDownload(app, jobId);

    const res = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, connector_config: { prefix: 'b/' } });
    expect(res.status).toBe(200);
    expect(res.body.job.connector_config.prefix).toBe('b/');
    const runs = () => app.orm.em.fork().find(SyncRun, { jobId }, { orderBy: { id: 'asc' } });
    await waitFor(async () => (await runs()).at(-1)?.status === 'SUCCEEDED', 10_000, 'the new run');
    expect((await runs()).map((r) => [r.trigger, r.status])).toEqual([
      ['CREATED', 'CANCELLED'],
      ['UPDATE', 'SUCCEEDED'],
    ]);

    const objects = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects`);
    expect(objects.body.total_objects).toBe(1);
    expect(objects.body.objects.map((o: { object_key: string }) => o.object_key)).toEqual(['b/other.txt']);
    const gql = await http(app, 'POST', '/graphql', {
      query: 'query($id: ID!) { objects(jobId: $id) { totalCount edges { node { key status } } } }',
      variables: { id: jobId },
    });
    expect(gql.body.data.objects).toEqual({ totalCount: 1, edges: [{ node: { key: 'b/other.txt', status: 'PROCESSED' } }] });
    const folder = join(app.config.downloadRoot, jobId);
    expect(existsSync(partial)).toBe(false);
    expect(await sha256File(join(folder, 'a/small.txt'))).toBe(sha256('small under a/'));
    expect(await sha256File(join(folder, 'b/other.txt'))).toBe(sha256('under b/'));
  });

  it('an idle job only drops the rows; its next run uses the new prefix', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['a/1.txt', 'one'], ['ab/2.txt', 'two'], ['c/3.txt', 'three']]);
    await using app = await startTestApp({ env: s3.env });
    const jobId = await createJob(app, 'a');
    await waitFor(async () => (await app.orm.em.fork().count(SyncObject, { jobId, status: 'PROCESSED' })) === 2, 10_000, 'first run');
    await waitFor(() => !app.runner.isRunning(jobId), 5000, 'run ended');
    const res = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, connector_config: { prefix: 'ab/' } });
    expect(res.status).toBe(200);
    expect((await app.orm.em.fork().find(SyncObject, { jobId })).map((o) => o.key)).toEqual(['ab/2.txt']);
    expect(await app.orm.em.fork().count(SyncRun, { jobId })).toBe(1);
    expect(existsSync(join(app.config.downloadRoot, jobId, 'a/1.txt'))).toBe(true);
  });
});
