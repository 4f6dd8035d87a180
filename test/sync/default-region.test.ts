import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gql, http } from '../helpers/clients.js';
import { withEnv } from '../helpers/env.js';
import { sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { S3RVER_CREDENTIALS, startS3Server } from '../helpers/s3-server.js';
import { startSigV4Gateway } from '../helpers/sigv4-gateway.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A new user's first run: no AWS_REGION, no profile, no job region. Against an S3-compatible
 * endpoint (the README's MinIO line) the run signs as us-east-1, as `aws s3` and rclone do; against
 * AWS itself it fails naming what to set, not with the SDK's bare "Region is missing".
 */

/** Nothing in this process names a region (the app's own AWS_REGION is emptied separately). */
const NO_REGION_ANYWHERE = {
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: '/nonexistent/dss-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/dss-test/credentials',
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
};

const MISSING_REGION = "no AWS region: set AWS_REGION (or region in the AWS profile), or the job's region (connector_config.region)";

async function createJob(app: TestApp, bucket: string): Promise<string> {
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'nightly',
    connector_type: 'S3',
    schedule: 'hourly',
    connector_config: { bucket_name: bucket, prefix: 'data/' },
  });
  expect(created.status, created.text).toBe(200);
  return created.body.job_id;
}

/** The first run of the job (started by its creation), once it has ended. */
async function firstRun(app: TestApp, jobId: string): Promise<{ status: string; error: string | null }> {
  return waitFor(
    async () => {
      const first = (await http(app, 'GET', `/api/v1/jobs/${jobId}/runs`)).body.runs[0];
      return first && first.status !== 'RUNNING' ? first : undefined;
    },
    15_000,
    'the first run to end',
  );
}

describe('a run with no region anywhere', () => {
  it.each([
    ['AWS_ENDPOINT_URL_S3 (the service setting)', (endpoint: string) => ({ app: { AWS_ENDPOINT_URL_S3: endpoint }, process: {} })],
    ["AWS_ENDPOINT_URL (the SDK's own)", (endpoint: string) => ({ app: { AWS_ENDPOINT_URL_S3: '' }, process: { AWS_ENDPOINT_URL: endpoint } })],
  ])('with an endpoint from %s: listings and GETs are signed for us-east-1, and the run succeeds', async (_source, settings) => {
    await using s3 = await startS3Server();
    await s3.putObject('data/a.csv', 'alpha');
    await using gateway = await startSigV4Gateway(s3.endpoint, { region: 'us-east-1', ...S3RVER_CREDENTIALS });
    const { app: appEnv, process: processEnv } = settings(gateway.endpoint);
    await withEnv({ ...NO_REGION_ANYWHERE, ...processEnv }, async () => {
      await using app = await startTestApp({ env: { ...s3.env, AWS_REGION: '', RETRY_COUNT: '0', ...appEnv } });
      const jobId = await createJob(app, s3.bucket);
      const run = await firstRun(app, jobId);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'SUCCEEDED', error: null });
      expect(await sha256File(join(app.config.downloadRoot, jobId, 'data/a.csv'))).toBe(sha256('alpha'));
    });
    // The gateway verifies each signature for us-east-1: the hand-signed listing and GET agree with the SDK.
    expect(gateway.requests.filter((r) => !r.verified)).toEqual([]);
    expect(gateway.requests.some((r) => r.query.includes('list-type=2'))).toBe(true);
    expect(gateway.requests.some((r) => r.method === 'GET' && r.path.endsWith('/data/a.csv'))).toBe(true);
  });

  it('against AWS (no endpoint): the run and a preview say which setting is missing, before any request', async () => {
    await withEnv(NO_REGION_ANYWHERE, async () => {
      await using app = await startTestApp({ env: { AWS_ENDPOINT_URL_S3: '', AWS_REGION: '', RETRY_COUNT: '0' } });
      const jobId = await createJob(app, 'my-bucket');
      const run = await firstRun(app, jobId);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: `listing failed: ${MISSING_REGION}` });

      const rest = await http(app, 'GET', `/api/v1/scheduler/preview_sync?job_id=${jobId}`);
      expect({ status: rest.status, body: rest.body }).toEqual({ status: 409, body: { message: `The source of this job could not be listed: ${MISSING_REGION}` } });
      const graphql = await gql(app, 'query ($jobId: ID!) { previewSync(jobId: $jobId) { listedObjects } }', { jobId });
      expect(graphql.body.errors?.map((e) => e.message)).toEqual([`The source of this job could not be listed: ${MISSING_REGION}`]);
    });
  });
});
