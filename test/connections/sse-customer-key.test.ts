import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { gql, http } from '../helpers/clients.js';
import { sha256, sha256File } from '../helpers/files.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3Server } from '../helpers/s3-server.js';
import { startSigV4Gateway } from '../helpers/sigv4-gateway.js';
import { startTestApp } from '../helpers/test-app.js';
import { capturedLog, restartError, runAfter, triggerAndWait } from './job-runs.js';

const KEY = randomBytes(32).toString('base64');
const KEY_MD5 = createHash('md5').update(Buffer.from(KEY, 'base64')).digest('base64');
const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id connectorConfig { sseCustomerKeyMd5 } } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { connectorConfig { sseCustomerKeyMd5 } } } }`;
const restJob = (config: Record<string, unknown>) => ({
  job_name: 'sse-c',
  connector_type: 'S3',
  schedule: 'hourly',
  paused: true,
  connector_config: { bucket_name: 'vault', ...config },
});

describe('objects encrypted with a customer key (sseCustomerKey / sse_customer_key)', () => {
  it('are read with the job’s key on every GET and HEAD; the key is sealed, never shown or logged, only its MD5', async () => {
    await using s3 = await startS3Server({ bucket: 'vault' });
    const body = randomBytes(150_000);
    await s3.putObjects([['x/a.bin', body], ['x/b.txt', 'secret text']]);
    await using gateway = await startSigV4Gateway(s3.endpoint, { region: S3RVER_REGION, ...S3RVER_CREDENTIALS }, { sseCustomerKey: KEY });
    const log = capturedLog();
    await using app = await startTestApp({ env: { ...s3.env, SECRETS_KEY: randomBytes(32).toString('base64'), S3_CHUNK_SIZE: '64KiB', S3_ENDPOINT_ALLOWED_HOSTS: '127.0.0.1' }, logger: log.logger });

    const config = { bucketName: 'vault', prefix: 'x/', endpoint: gateway.endpoint, forcePathStyle: true };
    const created = await gql<{ createJob: { job: { id: string; connectorConfig: { sseCustomerKeyMd5: string | null } } } }, unknown>(app, CREATE, {
      input: { name: 'vault', connectorType: 'S3', schedule: 'hourly', connectorConfig: config },
    });
    const job = created.body.data!.createJob.job;
    expect(job.connectorConfig.sseCustomerKeyMd5).toBeNull();
    const refused = await runAfter(app, job.id);
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/InvalidRequest \(HTTP 400\): The object was stored using a form of Server Side Encryption/);

    const updated = await gql<{ updateJob: { job: { connectorConfig: { sseCustomerKeyMd5: string | null } } } }, unknown>(app, UPDATE, {
      id: job.id,
      input: { connectorConfig: { sseCustomerKey: KEY } },
    });
    expect(updated.body.data?.updateJob.job.connectorConfig.sseCustomerKeyMd5).toBe(KEY_MD5);
    const seen = gateway.requests.length;
    const run = await triggerAndWait(app, job.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    const root = join(app.config.downloadRoot, job.id);
    expect(await sha256File(join(root, 'x/a.bin'))).toBe(sha256(body));
    expect(await sha256File(join(root, 'x/b.txt'))).toBe(sha256('secret text'));
    const objectGets = gateway.requests.slice(seen).filter((request) => request.method === 'GET' && request.path.startsWith('/vault/x/'));
    expect(objectGets.length).toBeGreaterThanOrEqual(2);
    expect(objectGets.every((request) => request.verified && request.sseCustomerKey === KEY)).toBe(true);

    // Reads show the key's MD5 only; the database holds it sealed; no log line holds it.
    const rest = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${job.id}`);
    expect(rest.body.job.connector_config).toMatchObject({ sse_customer_key_md5: KEY_MD5 });
    const rows = JSON.stringify(await app.orm.em.fork().getConnection().execute('select * from jobs'));
    expect(rows).toMatch(/"sealed_sse_customer_key":"v1\.[A-Za-z0-9+/=]+"/);
    for (const text of [rest.text, JSON.stringify(updated.body), rows, log.text()]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(Buffer.from(KEY, 'base64').toString('hex'));
    }

    const removed = await gql<{ updateJob: { job: { connectorConfig: { sseCustomerKeyMd5: string | null } } } }, unknown>(app, UPDATE, {
      id: job.id,
      input: { connectorConfig: { sseCustomerKey: null } },
    });
    expect(removed.body.data?.updateJob.job.connectorConfig.sseCustomerKeyMd5).toBeNull();
    expect(JSON.stringify(await app.orm.em.fork().getConnection().execute('select * from jobs'))).toContain('"sealed_sse_customer_key":null');
  });

  it("the SDK's HEADs carry the key too", async () => {
    await using s3 = await startS3Server({ bucket: 'vault' });
    await s3.putObject('a.txt', 'encrypted at rest');
    await using gateway = await startSigV4Gateway(s3.endpoint, { region: S3RVER_REGION, ...S3RVER_CREDENTIALS }, { sseCustomerKey: KEY });
    const connector = createS3Connector({
      s3: { endpoint: gateway.endpoint, region: S3RVER_REGION, forcePathStyle: true },
      sseCustomerKey: KEY,
      retry: { count: 0, delaySeconds: 0, backoff: 1 },
      maxSockets: 2,
    });
    try {
      const head = await connector.head('vault', 'a.txt');
      expect(head.size).toBe('encrypted at rest'.length);
      await connector.headPart('vault', 'a.txt', head.etag, 1);
    } finally {
      connector.destroy();
    }
    const heads = gateway.requests.filter((request) => request.method === 'HEAD');
    expect(heads.length).toBe(2);
    expect(heads.every((request) => request.verified && request.sseCustomerKey === KEY)).toBe(true);
  });

  it('a key that is not 32 bytes of base64 is refused naming the field, without echoing it; without SECRETS_KEY, naming that', async () => {
    await using app = await startTestApp({ env: { SECRETS_KEY: randomBytes(32).toString('base64') } });
    const bad = 'bm90LWEta2V5LXRoYXQtaXMtMzItYnl0ZXM=';
    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', restJob({ sse_customer_key: bad }));
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/^Invalid sseCustomerKey \(sse_customer_key\), must be a 256-bit AES key as base64 \(32 bytes\)/);
    const graphql = await gql(app, CREATE, { input: { name: 'sse-c', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'vault', sseCustomerKey: 42 } } });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify([rest.body, graphql.body])).not.toMatch(new RegExp(`${bad}|: 42`));
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);

    await using keyless = await startTestApp();
    const refused = await http(keyless, 'POST', '/api/v1/scheduler/create_job', restJob({ sse_customer_key: KEY }));
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/SECRETS_KEY/);
    expect(refused.text).not.toContain(KEY);
  });

  it('a restart with another SECRETS_KEY stops at start-up when only an SSE-C key is stored', async () => {
    const app = await startTestApp({ env: { SECRETS_KEY: randomBytes(32).toString('base64') } });
    expect((await http(app, 'POST', '/api/v1/scheduler/create_job', restJob({ sse_customer_key: KEY }))).status).toBe(200);
    await app.app.stop();
    try {
      const wrongKey = await restartError(app, { SECRETS_KEY: randomBytes(32).toString('hex') });
      expect(wrongKey?.message).toMatch(/^invalid SECRETS_KEY: it does not decrypt the stored secrets \(credentials, SSE-C keys\) of 1 of 1 job\(s\)/);
    } finally {
      await app.stop();
    }
  });
});
