import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { gql, http } from '../helpers/clients.js';
import { sha256, sha256File } from '../helpers/files.js';
import { postCreateJob } from '../helpers/jobs.js';
import { S3RVER_CREDENTIALS, S3RVER_REGION, startS3Server } from '../helpers/s3-server.js';
import { startSigV4Gateway } from '../helpers/sigv4-gateway.js';
import { startTestApp } from '../helpers/test-app.js';
import { runAfter, triggerAndWait } from './job-runs.js';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id connectorConfig { requesterPays } } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { connectorConfig { requesterPays } } } }`;
describe('a requester-pays bucket (requesterPays / requester_pays)', () => {
  it('is refused until the job accepts the charge; then every listing and GET carries the signed x-amz-request-payer', async () => {
    await using s3 = await startS3Server({ bucket: 'open-data' });
    const body = randomBytes(200_000);
    await s3.putObjects([['set/a.bin', body], ['set/b.txt', 'requester pays']]);
    await using gateway = await startSigV4Gateway(s3.endpoint, { region: S3RVER_REGION, ...S3RVER_CREDENTIALS }, { requesterPays: true });
    await using app = await startTestApp({ env: { ...s3.env, S3_CHUNK_SIZE: '64KiB', S3_ENDPOINT_ALLOWED_HOSTS: '127.0.0.1' } });

    const created = await gql<{ createJob: { job: { id: string; connectorConfig: { requesterPays: boolean } } } }, unknown>(app, CREATE, {
      input: { name: 'open data', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'open-data', prefix: 'set/', endpoint: gateway.endpoint, forcePathStyle: true } },
    });
    expect(created.body.errors).toBeUndefined();
    const job = created.body.data!.createJob.job;
    expect(job.connectorConfig.requesterPays).toBe(false);
    const refused = await runAfter(app, job.id);
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toMatch(/AccessDenied.*requester-pays/);

    const updated = await gql<{ updateJob: { job: { connectorConfig: { requesterPays: boolean } } } }, unknown>(app, UPDATE, {
      id: job.id,
      input: { connectorConfig: { requesterPays: true } },
    });
    expect(updated.body.data?.updateJob.job.connectorConfig.requesterPays).toBe(true);
    const seen = gateway.requests.length;
    const paid = await triggerAndWait(app, job.id);
    expect(paid).toMatchObject({ status: 'SUCCEEDED', error: null });
    const root = join(app.config.downloadRoot, job.id);
    expect(await sha256File(join(root, 'set/a.bin'))).toBe(sha256(body));
    expect(await sha256File(join(root, 'set/b.txt'))).toBe(sha256('requester pays'));
    const paidRequests = gateway.requests.slice(seen);
    expect(paidRequests.some((request) => request.query.includes('list-type=2'))).toBe(true);
    expect(paidRequests.filter((request) => request.method === 'GET' && request.path.startsWith('/open-data/set/')).length).toBeGreaterThanOrEqual(2);
    expect(paidRequests.every((request) => request.verified && request.requesterPays)).toBe(true);

    const rest = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${job.id}`);
    expect(rest.body.job.connector_config).toMatchObject({ endpoint_url: gateway.endpoint, requester_pays: true });
  });

  it("the SDK's HEADs accept the charge too", async () => {
    await using s3 = await startS3Server({ bucket: 'open-data' });
    await s3.putObject('a.txt', 'paid for');
    await using gateway = await startSigV4Gateway(s3.endpoint, { region: S3RVER_REGION, ...S3RVER_CREDENTIALS }, { requesterPays: true });
    const connectorWith = (requesterPays: boolean) =>
      createS3Connector({
        s3: { endpoint: gateway.endpoint, region: S3RVER_REGION, forcePathStyle: true, requesterPays },
        retry: { count: 0, delaySeconds: 0, backoff: 1 },
        maxSockets: 2,
      });
    const paying = connectorWith(true);
    const notPaying = connectorWith(false);
    try {
      const head = await paying.head('open-data', 'a.txt');
      expect(head.size).toBe('paid for'.length);
      expect(await paying.headChecksums('open-data', 'a.txt', head.etag)).toEqual([]);
      await expect(notPaying.head('open-data', 'a.txt')).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      paying.destroy();
      notPaying.destroy();
    }
    const heads = gateway.requests.filter((request) => request.method === 'HEAD');
    expect(heads.map((request) => request.requesterPays)).toEqual([true, true, false]);
  });

  it('REST refuses a requester_pays that is not a boolean, naming it, and stores nothing', async () => {
    await using app = await startTestApp();
    const refused = await postCreateJob(app, { name: 'open data', schedule: 'hourly', bucket: 'open-data', connectorConfig: { requester_pays: 'yes' } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('Invalid requesterPays (requester_pays), must be true or false');
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body.jobs).toEqual([]);
  });
});
