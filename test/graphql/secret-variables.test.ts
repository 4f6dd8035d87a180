import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { gql, wsClient } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { startTestApp } from '../helpers/test-app.js';

const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';

/**
 * README, "Per-job connections": "GraphQL's own input errors (a secret of the wrong type, …) have the
 * secret values replaced by [redacted] … in variables nested to any depth; logs redact them too."
 * A secret given through its own variable (`secretAccessKey: $secret`), the usual way to keep it out
 * of the query text, is repeated in full when that variable's declared type does not match.
 */
describe('GraphQL secrets passed as their own variable', () => {
  const CREATE = `mutation ($secret: Int!) {
    createJob(input: { name: "nightly", connectorType: S3, schedule: "hourly", paused: true,
      connectorConfig: { bucketName: "my-bucket", credentials: { accessKeyId: "AKIAX", secretAccessKey: $secret } } }) { job { id } } }`;

  test('over HTTP: neither the error nor the logs repeat the secret', async () => {
    const logs = captureLogs();
    await using app = await startTestApp({ logger: logs.logger });
    const response = await gql(app, CREATE, { secret: SECRET });
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect.soft(JSON.stringify(response.body), 'the secret access key is echoed to the client').not.toContain('XUtnFEMI');
    expect.soft(logs.raw.join(''), 'the secret access key is logged').not.toContain('XUtnFEMI');
  });

  test('a String! variable given a non-string: the value is not repeated', async () => {
    await using app = await startTestApp();
    const query = CREATE.replace('$secret: Int!', '$secret: String!');
    const response = await gql(app, query, { secret: { key: SECRET } });
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(response.body)).not.toContain('XUtnFEMI');
  });

  test('over WebSocket: the error does not repeat the secret', async () => {
    await using app = await startTestApp();
    const client = wsClient(app.wsUrl);
    try {
      const result = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: CREATE, variables: { secret: SECRET } }, { next: resolve, error: resolve, complete: () => resolve(null) });
      });
      expect(JSON.stringify(result)).not.toContain('XUtnFEMI');
    } finally {
      await client.dispose();
    }
  });
});

/**
 * README, Configuration: DB_URL "A password in it is never printed"; proxies "A password in it is
 * never printed". A start-up error quotes the bad value with its password masked only when the
 * password holds none of `/ ? #`, which generated passwords (base64) often do.
 */
describe('start-up errors and passwords', () => {
  const failWith = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  test('DB_URL whose password holds a "/" (unescaped): the error line hides the password', () => {
    const message = failWith({ DB_URL: 'postgresql://dss:Zq9/Kx7Pw@db:5432/dss' });
    expect(message).toMatch(/^invalid DB_URL/);
    expect(message, message).not.toContain('Zq9/Kx7Pw');
  });

  test('DB_URL whose password holds a "#": the error line hides the password', () => {
    const message = failWith({ DB_URL: 'postgresql://dss:Qm#4vLp2@db:5432/dss' });
    expect(message, message).not.toContain('Qm#4vLp2');
  });

  test('HTTPS_PROXY written bare (user:password@host:port, which the README allows) with a bad port: the password is hidden', () => {
    const message = failWith({ HTTPS_PROXY: 'alice:Pr0xyS3cret@proxy.internal:99999' });
    expect(message).toMatch(/^invalid HTTPS_PROXY/);
    expect(message, message).not.toContain('Pr0xyS3cret');
  });

  test('REDIS_URL whose password holds a "/": the password is hidden', () => {
    const message = failWith({ REDIS_URL: 'redis://:R3d/isPass@cache:6379' });
    expect(message, message).not.toContain('R3d/isPass');
  });
});
