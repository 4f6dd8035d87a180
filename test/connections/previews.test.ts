import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gql, http } from '../helpers/clients.js';import { listTree } from '../helpers/files.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const RUN = `query ($id: ID!) { job(id: $id) { lastRun { id status error } } }`;
const PREVIEW = `query ($jobId: ID!) { previewSync(jobId: $jobId) { listedObjects deletesBlocked
  fetch { objects bytes keys } skip { objects bytes keys } exclude { objects bytes keys } delete { objects bytes keys } refuse { objects } } }`;
const UPCOMING = `query ($id: ID!, $count: Int) { job(id: $id) { upcomingRuns(count: $count) } }`;

async function finishedRun(app: TestApp, id: string, after = 0) {
  return waitFor(
    async () => {
      const run = (await gql<{ job: { lastRun: { id: string; status: string } | null } }, unknown>(app, RUN, { id })).body.data?.job.lastRun;
      return run && Number(run.id) > after && run.status !== 'RUNNING' ? run : undefined;
    },
    15_000,
    'the run',
  );
}

describe('previews', () => {
  it('previewSync lists now and reports what a run would fetch, skip, exclude and delete, without a GET or a file change', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['d/keep.csv', 'keep'],
      ['d/changes.csv', 'old'],
      ['d/goes.csv', 'bye'],
      ['d/skip.log', 'log'],
      ['d/m/', ''],
    ]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint } });
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
      input: {
        name: 'previewed',
        connectorType: 'S3',
        schedule: 'hourly',
        connectorConfig: { bucketName: s3.bucket, prefix: 'd/', exclude: ['*.log'], mirrorDeletes: true, maxDeletePercent: 100 },
      },
    });
    const id = created.body.data!.createJob.job.id;
    const first = await finishedRun(app, id);
    expect(first.status).toBe('SUCCEEDED');
    const root = join(app.config.downloadRoot, id);
    const treeBefore = await listTree(root);

    await s3.putObject('d/changes.csv', 'new and longer');
    await s3.putObject('d/new.csv', 'fresh');
    await s3.deleteObject('d/goes.csv');
    await s3.deleteObject('d/m/');
    proxy.resetCounts();
    const response = await gql<{ previewSync: Record<string, unknown> }, unknown>(app, PREVIEW, { jobId: id });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.previewSync).toEqual({
      listedObjects: 4,
      deletesBlocked: null,
      fetch: { objects: 2, bytes: 14 + 5, keys: ['d/changes.csv', 'd/new.csv'] },
      skip: { objects: 1, bytes: 4, keys: ['d/keep.csv'] },
      exclude: { objects: 1, bytes: 3, keys: ['d/skip.log'] },
      delete: { objects: 2, bytes: 3, keys: ['d/goes.csv', 'd/m/'] },
      refuse: { objects: 0 },
    });
    expect(proxy.counts.gets).toBe(0);
    expect(proxy.counts.requests).toBeGreaterThan(0); // it did list
    expect(await listTree(root)).toEqual(treeBefore);

    const rest = await http(app, 'GET', `/api/v1/scheduler/preview_sync?job_id=${id}`);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ job_id: id, listed_objects: 4, fetch: { objects: 2, bytes: '19' }, delete: { keys: ['d/goes.csv', 'd/m/'] } });

    // The run then does what the preview said: two GETs, one file to the trash, the marker's folder removed.
    proxy.resetCounts();
    const triggered = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: id });
    const second = await finishedRun(app, id, triggered.body.run.run_id - 1);
    expect(second.status).toBe('SUCCEEDED');
    expect(proxy.counts.gets).toBe(2);
    expect(await listTree(join(root, '.dss-trash', String(second.id)))).toEqual(['d/', 'd/goes.csv']);
    expect(existsSync(join(root, 'd/m'))).toBe(false);

    // A source that cannot be listed: a clear error, not a 500.
    proxy.setRule(() => ({ kind: 'status', status: 403, code: 'AccessDenied' }));
    const denied = await gql(app, PREVIEW, { jobId: id });
    expect(denied.body.errors?.[0]?.message).toMatch(/could not be listed.*AccessDenied|could not be listed/);
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it("previewSync does not list under delete a user's own file where a gone object's was: the run leaves it", async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['d/a.csv', 'aaa'],
      ['d/mine.csv', 'service'],
      ['d/gone.csv', 'gone'],
    ]);
    await using app = await startTestApp({ env: s3.env });
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
      input: {
        name: 'user-files',
        connectorType: 'S3',
        schedule: 'hourly',
        connectorConfig: { bucketName: s3.bucket, prefix: 'd/', mirrorDeletes: true, maxDeletePercent: 100 },
      },
    });
    const id = created.body.data!.createJob.job.id;
    expect((await finishedRun(app, id)).status).toBe('SUCCEEDED');
    const root = join(app.config.downloadRoot, id);
    await writeFile(join(root, 'd/mine.csv'), 'the user wrote this');
    await s3.deleteObject('d/mine.csv');
    await s3.deleteObject('d/gone.csv');

    const response = await gql<{ previewSync: { delete: unknown } }, unknown>(app, PREVIEW, { jobId: id });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.previewSync.delete).toEqual({ objects: 1, bytes: 4, keys: ['d/gone.csv'] });

    const triggered = await http(app, 'POST', '/api/v1/scheduler/trigger_job', { job_id: id });
    const second = await finishedRun(app, id, triggered.body.run.run_id - 1);
    expect(second.status).toBe('SUCCEEDED');
    expect(await listTree(join(root, '.dss-trash', String(second.id)))).toEqual(['d/', 'd/gone.csv']);
    expect(await readFile(join(root, 'd/mine.csv'), 'utf8')).toBe('the user wrote this');
  });

  it('upcomingRuns previews a cron schedule in its timezone (GraphQL and REST), with the count validated', async () => {
    await using app = await startTestApp();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'weekday-9',
      connector_type: 'S3',
      schedule: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      paused: true,
      connector_config: { bucket_name: 'my-bucket' },
    });
    const id: string = created.body.job_id;
    const graphql = await gql<{ job: { upcomingRuns: string[] } }, unknown>(app, UPCOMING, { id, count: 7 });
    const times = graphql.body.data!.job.upcomingRuns.map((t) => new Date(t));
    expect(times).toHaveLength(7);
    const paris = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
    for (const [i, time] of times.entries()) {
      expect(time.getTime()).toBeGreaterThan(i === 0 ? Date.now() : times[i - 1]!.getTime());
      const parts = paris.formatToParts(time);
      expect(parts.find((p) => p.type === 'hour')?.value).toBe('09');
      expect(['Sat', 'Sun']).not.toContain(parts.find((p) => p.type === 'weekday')?.value);
    }
    expect((await gql<{ job: { upcomingRuns: string[] } }, unknown>(app, UPCOMING, { id })).body.data!.job.upcomingRuns).toHaveLength(5);

    const rest = await http(app, 'GET', `/api/v1/scheduler/upcoming_runs?job_id=${id}&count=3`);
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ job_id: id, upcoming_runs: times.slice(0, 3).map((t) => t.toUTCString()) });

    for (const count of [0, 101]) {
      const bad = await gql(app, UPCOMING, { id, count });
      expect(bad.body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(bad.body.errors?.[0]?.message).toMatch(/count must be a whole number from 1 to 100/);
      const badRest = await http(app, 'GET', `/api/v1/scheduler/upcoming_runs?job_id=${id}&count=${count}`);
      expect(badRest).toMatchObject({ status: 400, body: { message: 'count must be a whole number from 1 to 100' } });
    }
    for (const count of ['-1', 'abc', '', '2.5', '+3']) {
      const badRest = await http(app, 'GET', `/api/v1/scheduler/upcoming_runs?job_id=${id}&count=${encodeURIComponent(count)}`);
      expect(badRest, count).toMatchObject({ status: 400, body: { message: 'count must be a whole number from 1 to 100' } });
    }
    expect((await http(app, 'GET', '/api/v1/scheduler/upcoming_runs?job_id=00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await http(app, 'GET', '/api/v1/scheduler/upcoming_runs?job_id=nope')).body).toEqual({ message: 'Invalid job ID' });
  });
});
