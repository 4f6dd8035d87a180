import { expect, test } from 'vitest';
import { gql } from '../helpers/clients.js';
import { startForwardProxy } from '../helpers/forward-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST } from './fast-webhooks.js';

const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
/** Reachable only through the proxy's routes: a delivery that went around it would not arrive. */
const HOOKS = 'hooks.proxied.localhost';

test('webhook deliveries go through HTTP_PROXY, with its credentials, like the S3 requests', async () => {
  await using receiver = await startWebhookReceiver();
  const port = new URL(receiver.url).port;
  await using proxy = await startForwardProxy({ routes: { [`${HOOKS}:80`]: `127.0.0.1:${port}` }, credentials: { user: 'hooks', password: 's3cret' } });
  await using app = await startTestApp({ env: { ...FAST, HTTP_PROXY: proxy.url }, build: { webhookPollMs: 10 } });
  const url = `http://${HOOKS}/dss?token=abc`;
  const { body } = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
    input: { name: 'nightly', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'my-bucket' }, webhooks: [{ url }] },
  });
  expect(body.errors).toBeUndefined();

  // The job's first run fails at once (S3 is offline), which is a RUN_FAILED delivery.
  await waitFor(() => receiver.received.length === 1, 10_000, 'the RUN_FAILED webhook through the proxy');
  expect(receiver.received[0]!.json).toMatchObject({ event: 'RUN_FAILED', jobId: body.data!.createJob.job.id });
  expect(proxy.calls).toEqual([{ method: 'POST', target: url, authorized: true }]);
});
