import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { gql } from '../helpers/clients.js';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id connectorConfig { maxConcurrency bandwidthLimit } } } }`;
const RUN = `query ($id: ID!) { job(id: $id) { lastRun { status objectsDone } } }`;

async function createAndRun(app: TestApp, name: string, prefix: string, bucket: string, settings: Record<string, unknown>) {
  const created = await gql<{ createJob: { job: { id: string; connectorConfig: Record<string, unknown> } } }, unknown>(app, CREATE, {
    input: { name, connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: bucket, prefix, ...settings } },
  });
  expect(created.body.errors).toBeUndefined();
  const { id } = created.body.data!.createJob.job;
  const run = await waitFor(
    async () => {
      const last = (await gql<{ job: { lastRun: { status: string; objectsDone: number } | null } }, unknown>(app, RUN, { id })).body.data?.job.lastRun;
      return last && last.status !== 'RUNNING' ? last : undefined;
    },
    20_000,
    `the run of ${name}`,
  );
  return { id, run, connectorConfig: created.body.data!.createJob.job.connectorConfig };
}

describe('per-job limits', () => {
  it('maxConcurrency bounds the GETs in flight for the job, under SYNC_CONCURRENCY', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects(Array.from({ length: 12 }, (_, i) => [`many/${i}.bin`, seededBytes(2000, i)] as [string, Buffer]));
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // Every GET is slow, so transfers that may overlap do.
    proxy.setRule((req) => (req.key ? { kind: 'latency', ms: 80 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, SYNC_CONCURRENCY: '8' } });

    const limited = await createAndRun(app, 'limited', 'many/', s3.bucket, { maxConcurrency: 2 });
    expect(limited.connectorConfig.maxConcurrency).toBe(2);
    expect(limited.run).toEqual({ status: 'SUCCEEDED', objectsDone: 12 });
    expect(proxy.counts.gets).toBe(12);
    expect(proxy.counts.maxGetsInFlight).toBe(2);

    // The same listing without the limit overlaps more than two GETs (so the check above can fail).
    proxy.resetCounts();
    const unlimited = await createAndRun(app, 'unlimited', 'many/', s3.bucket, {});
    expect(unlimited.run.status).toBe('SUCCEEDED');
    expect(proxy.counts.maxGetsInFlight).toBeGreaterThan(2);
  });

  it('bandwidthLimit paces the job’s GET bodies and the bytes still arrive intact', async () => {
    await using s3 = await startS3Server();
    const big = seededBytes(600_000, 7);
    const small = seededBytes(50_000, 8);
    await s3.putObjects([
      ['paced/big.bin', big],
      ['paced/small.bin', small],
    ]);
    await using app = await startTestApp({ env: { ...s3.env, S3_CHUNK_SIZE: '64KiB' } });
    const paced = await createAndRun(app, 'paced', 'paced/', s3.bucket, { bandwidthLimit: '2MiB' });
    expect(paced.connectorConfig.bandwidthLimit).toBe(2 * 1024 * 1024);
    expect(paced.run).toEqual({ status: 'SUCCEEDED', objectsDone: 2 });
    const root = join(app.config.downloadRoot, paced.id);
    expect(await sha256File(join(root, 'paced/big.bin'))).toBe(sha256(big));
    expect(await sha256File(join(root, 'paced/small.bin'))).toBe(sha256(small));
  });
});
