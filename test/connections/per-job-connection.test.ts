import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { gql, http } from '../helpers/clients.js';import { sha256, sha256File } from '../helpers/files.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startSigV4Gateway } from '../helpers/sigv4-gateway.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { capturedLog, restartError, runAfter } from './job-runs.js';

/** The second account: distinctive, so a leak or a fallback to the process's credentials shows. */
const JOB_KEYS = {
  region: 'eu-west-3',
  accessKeyId: 'AKIAJOBTHIRTEEN0001',
  secretAccessKey: 'sEcReT/job13+wJalrXUtnFEMI-K7MDENG-bPxRfiCY',
  sessionToken: 'tOkEn-job13-IQoJb3JpZ2luX2VjEJr',
};

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id connectorConfig {
  bucketName region endpoint forcePathStyle hasCredentials accessKeyId } } } }`;
const JOB = `query ($id: ID!) { job(id: $id) { id status lastRun { id status error } connectorConfig {
  hasCredentials accessKeyId endpoint region } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { connectorConfig { hasCredentials accessKeyId } } } }`;
const TRIGGER = `mutation ($id: ID!) { triggerJob(id: $id) { run { id status } } }`;

const secretsKey = () => randomBytes(32).toString('base64');

/** Every column of every row of the app's tables, as text: what a database dump would show. */
async function databaseText(app: TestApp): Promise<string> {
  const connection = app.orm.em.fork().getConnection();
  const tables = ['jobs', 'sync_runs', 'sync_objects'];
  const rows = await Promise.all(tables.map((table) => connection.execute(`select * from ${table}`)));
  return JSON.stringify(rows);
}

describe('a job with its own endpoint, region and credentials', () => {
  it('lists and downloads from its own server, signed with its own keys; the secret is never shown or stored in clear', async () => {
    await using processS3 = await startS3Server({ bucket: 'process-bucket' });
    await using jobS3 = await startS3Server({ bucket: 'job-bucket' });
    const body = randomBytes(150_000);
    await jobS3.putObjects([['reports/a.bin', body], ['reports/b.txt', 'hello job 13']]);
    await using gateway = await startSigV4Gateway(jobS3.endpoint, JOB_KEYS);
    const log = capturedLog();
    await using app = await startTestApp({ env: { ...processS3.env, SECRETS_KEY: secretsKey(), S3_CHUNK_SIZE: '64KiB' }, logger: log.logger });
    processS3.resetCounts();

    const created = await gql<{ createJob: { job: { id: string; connectorConfig: Record<string, unknown> } } }, unknown>(app, CREATE, {
      input: {
        name: 'other-account',
        connectorType: 'S3',
        schedule: 'hourly',
        connectorConfig: {
          bucketName: 'job-bucket',
          prefix: 'reports/',
          region: JOB_KEYS.region,
          endpoint: gateway.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: JOB_KEYS.accessKeyId, secretAccessKey: JOB_KEYS.secretAccessKey, sessionToken: JOB_KEYS.sessionToken },
        },
      },
    });
    expect(created.body.errors).toBeUndefined();
    const job = created.body.data!.createJob.job;
    expect(job.connectorConfig).toEqual({
      bucketName: 'job-bucket',
      region: JOB_KEYS.region,
      endpoint: gateway.endpoint,
      forcePathStyle: true,
      hasCredentials: true,
      accessKeyId: JOB_KEYS.accessKeyId,
    });
    const run = await runAfter(app, job.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    const root = join(app.config.downloadRoot, job.id);
    expect(await sha256File(join(root, 'reports/a.bin'))).toBe(sha256(body));
    expect(await readFile(join(root, 'reports/b.txt'), 'utf8')).toBe('hello job 13');

    // Listings and GETs (the hand-signed path) all went to the job's server, signed with the job's keys.
    expect(gateway.requests.some((r) => r.query.includes('list-type=2'))).toBe(true);
    expect(gateway.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/job-bucket/reports/')).length).toBeGreaterThanOrEqual(2);
    expect(gateway.requests.every((r) => r.verified && r.accessKeyId === JOB_KEYS.accessKeyId && r.sessionToken === JOB_KEYS.sessionToken)).toBe(true);
    expect(processS3.counts.requests).toBe(0);

    // Reads show whether there are credentials and the key id, never the secret or the token.
    const graphqlRead = JSON.stringify((await gql(app, JOB, { id: job.id })).body);
    const restRead = (await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${job.id}`)).text;
    const restList = (await http(app, 'GET', '/api/v1/scheduler/list_jobs')).text;
    for (const text of [graphqlRead, restRead, restList, JSON.stringify(created.body)]) {
      expect(text).not.toContain(JOB_KEYS.secretAccessKey);
      expect(text).not.toContain(JOB_KEYS.sessionToken);
    }
    expect(JSON.parse(restRead).job.connector_config).toMatchObject({
      endpoint_url: gateway.endpoint,
      force_path_style: true,
      region: JOB_KEYS.region,
      has_credentials: true,
      aws_access_key_id: JOB_KEYS.accessKeyId,
    });
    // In the database: one opaque sealed value, no secret in clear (nor its base64).
    const dump = await databaseText(app);
    for (const secret of [JOB_KEYS.secretAccessKey, JOB_KEYS.sessionToken]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret).toString('base64').slice(0, 24));
    }
    expect(dump).toMatch(/"sealed_credentials":"v1\.[A-Za-z0-9+/=]+"/);

    // A second run reuses the job's client: its keep-alive connection, no new one.
    const connectionsBefore = gateway.connections();
    const again = await gql<{ triggerJob: { run: { id: string } } }, unknown>(app, TRIGGER, { id: job.id });
    const second = await runAfter(app, job.id, Number(again.body.data!.triggerJob.run.id) - 1);
    expect(second.status).toBe('SUCCEEDED');
    expect(gateway.connections()).toBe(connectionsBefore);

    // Changing another setting keeps the sealed credentials (the run still signs with them).
    const renamed = await gql(app, UPDATE, { id: job.id, input: { name: 'renamed', connectorConfig: { maxConcurrency: 4, include: ['**'] } } });
    expect(renamed.body.errors).toBeUndefined();
    const third = await gql<{ triggerJob: { run: { id: string } } }, unknown>(app, TRIGGER, { id: job.id });
    expect((await runAfter(app, job.id, Number(third.body.data!.triggerJob.run.id) - 1)).status).toBe('SUCCEEDED');

    // A wrong secret really fails at the verifying gateway; the process's credentials are never tried instead.
    const replaced = await gql<{ updateJob: { job: { connectorConfig: unknown } } }, unknown>(app, UPDATE, {
      id: job.id,
      input: { connectorConfig: { credentials: { accessKeyId: JOB_KEYS.accessKeyId, secretAccessKey: 'not-the-secret', sessionToken: JOB_KEYS.sessionToken } } },
    });
    expect(replaced.body.data?.updateJob.job.connectorConfig).toEqual({ hasCredentials: true, accessKeyId: JOB_KEYS.accessKeyId });
    const seen = gateway.requests.length;
    const wrong = await gql<{ triggerJob: { run: { id: string } } }, unknown>(app, TRIGGER, { id: job.id });
    const failed = await runAfter(app, job.id, Number(wrong.body.data!.triggerJob.run.id) - 1);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/SignatureDoesNotMatch|signature/i);
    expect(failed.error).not.toContain('not-the-secret');
    const later = gateway.requests.slice(seen);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((r) => !r.verified && r.accessKeyId === JOB_KEYS.accessKeyId)).toBe(true);
    expect(processS3.counts.requests).toBe(0);

    // Removing the credentials: the job then signs with the process's chain (s3rver's account), and the gateway refuses that.
    const removed = await gql<{ updateJob: { job: { connectorConfig: unknown } } }, unknown>(app, UPDATE, {
      id: job.id,
      input: { connectorConfig: { credentials: null } },
    });
    expect(removed.body.data?.updateJob.job.connectorConfig).toEqual({ hasCredentials: false, accessKeyId: null });
    expect(await databaseText(app)).not.toContain('"sealed_credentials":"v1.');

    // Nothing the app logged (trace level: requests, runs, errors) holds a secret.
    expect(log.text()).toContain('sync run finished');
    for (const secret of [JOB_KEYS.secretAccessKey, JOB_KEYS.sessionToken, 'not-the-secret']) expect(log.text()).not.toContain(secret);
  });

  it('a sealed value copied onto another job does not open (job id as associated data): the run fails, nothing is sent', async () => {
    await using s3 = await startS3Server({ bucket: 'job-bucket' });
    await using gateway = await startSigV4Gateway(s3.endpoint, JOB_KEYS);
    await using app = await startTestApp({ env: { SECRETS_KEY: secretsKey() } });
    const ids: string[] = [];
    for (const name of ['owner', 'thief']) {
      const response = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
        input: {
          name,
          connectorType: 'S3',
          schedule: 'hourly',
          paused: true,
          connectorConfig: {
            bucketName: 'job-bucket',
            endpoint: gateway.endpoint,
            forcePathStyle: true,
            region: JOB_KEYS.region,
            credentials: { accessKeyId: JOB_KEYS.accessKeyId, secretAccessKey: name === 'owner' ? JOB_KEYS.secretAccessKey : 'other' },
          },
        },
      });
      ids.push(response.body.data!.createJob.job.id);
    }
    const [owner, thief] = ids as [string, string];
    const connection = app.orm.em.fork().getConnection();
    await connection.execute('update jobs set sealed_credentials = (select sealed_credentials from jobs where id = ?) where id = ?', [owner, thief]);
    const started = await gql<{ triggerJob: { run: { id: string } } }, unknown>(app, TRIGGER, { id: thief });
    const run = await runAfter(app, thief, Number(started.body.data!.triggerJob.run.id) - 1);
    expect(run).toMatchObject({ status: 'FAILED', error: "connection: the job's credentials do not decrypt with this SECRETS_KEY; no other credentials are used" });
    expect(gateway.requests).toEqual([]);
    expect(s3.counts.requests).toBe(0);
    const metrics = (await http(app, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^dss_sync_runs_in_progress 0$/m);
  });

  it('refuses credentials without SECRETS_KEY, naming it, and stores nothing', async () => {
    await using app = await startTestApp();
    const input = {
      name: 'no-key',
      connectorType: 'S3',
      schedule: 'hourly',
      paused: true,
      connectorConfig: { bucketName: 'job-bucket', credentials: { accessKeyId: JOB_KEYS.accessKeyId, secretAccessKey: JOB_KEYS.secretAccessKey } },
    };
    const graphql = await gql(app, CREATE, { input });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(graphql.body.errors?.[0]?.message).toMatch(/SECRETS_KEY/);
    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'no-key',
      connector_type: 'S3',
      schedule: 'hourly',
      paused: true,
      connector_config: { bucket_name: 'job-bucket', aws_access_key_id: JOB_KEYS.accessKeyId, aws_secret_access_key: JOB_KEYS.secretAccessKey },
    });
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/SECRETS_KEY/);
    expect(JSON.stringify([graphql.body, rest.body])).not.toContain(JOB_KEYS.secretAccessKey);
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);
  });

  it('a restart with another SECRETS_KEY (or none) stops at start-up with one clear line', async () => {
    const app = await startTestApp({ env: { SECRETS_KEY: secretsKey() } });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'sealed',
      connector_type: 'S3',
      schedule: 'hourly',
      paused: true,
      connector_config: { bucket_name: 'job-bucket', aws_access_key_id: JOB_KEYS.accessKeyId, aws_secret_access_key: JOB_KEYS.secretAccessKey },
    });
    expect(created.status).toBe(200);
    await app.app.stop();
    try {
      const wrongKey = await restartError(app, { SECRETS_KEY: randomBytes(32).toString('hex') });
      expect(wrongKey?.name).toBe('ConfigError');
      expect(wrongKey?.message).toMatch(/^invalid SECRETS_KEY: it does not decrypt the stored secrets \(credentials, SSE-C keys\) of 1 of 1 job\(s\) \(first: job [0-9a-f-]{36}\)/);
      expect(wrongKey?.message).not.toContain('\n');
      const noKey = await restartError(app);
      expect(noKey?.message).toMatch(/^invalid SECRETS_KEY: not set, but 1 job\(s\) have stored secrets/);
    } finally {
      await app.stop();
    }
  });

  it('a SECRETS_KEY that is not 32 bytes is a start-up error that does not echo it', () => {
    expect(() => loadConfig({ SECRETS_KEY: 'too-short-key' })).toThrow(/^invalid SECRETS_KEY: must be 32 random bytes as base64 or 64 hex digits/);
    expect(() => loadConfig({ SECRETS_KEY: 'too-short-key' })).not.toThrow(/too-short-key/);
    expect(loadConfig({ SECRETS_KEY: 'ab'.repeat(32) }).secretsKey?.length).toBe(32);
  });
});
