import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, wsClient } from '../helpers/clients.js';
import { countJobs, startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

const CREATE = 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }';
const withCredentials = (credentials: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  validInput({ connectorConfig: { bucketName: 'my-bucket', credentials, ...extra } });

/**
 * Secrets that graphql-js escapes when it repeats them: `"`, `\`, control characters (JSON and
 * graphql's printer escape them differently), U+007F–U+009F and a lone surrogate. Each has a part
 * (`XUtnFEMI`, …) found nowhere else, so no spelling of it may reach the client.
 */
const SECRETS: Array<[string, string, string]> = [
  ['a quote and a backslash', 'wJalr"XUtnFEMI\\K7MDENG', 'XUtnFEMI'],
  ['control characters', 'ctl\n\t\r\b\f\u0001\u001bQzPkVwYt\u0000x', 'QzPkVwYt'],
  ['DEL, C1 controls and a lone surrogate', 'c1\u007f\u0085\u009fJmRtXcLe\ud800z', 'JmRtXcLe'],
];

describe("GraphQL's input errors never repeat a secret in an escaped spelling", () => {
  it.each(SECRETS)('secretAccessKey with %s, an unknown field beside it (HTTP)', async (_name, secret, part) => {
    const response = await gql(api, CREATE, { input: withCredentials({ accessKeyId: 'AKIAX', secretAccessKey: secret, foo: 1 }) });
    expect(response.status).toBe(200);
    const [error, ...more] = response.body.errors ?? [];
    expect(more).toEqual([]);
    expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'connectorConfig.credentials' });
    expect(error?.message).toMatch(/^Variable "\$input" got invalid value \{ accessKeyId: "AKIAX", secretAccessKey: "\[redacted\]", foo: 1 \}/);
    expect(JSON.stringify(response.body)).not.toContain(part);
  });

  it.each(SECRETS)('sessionToken and sseCustomerKey with %s, of the wrong type (HTTP and WebSocket)', async (_name, secret, part) => {
    const variables = { input: withCredentials({ accessKeyId: 'AKIAX', secretAccessKey: 'x'.repeat(40), sessionToken: [secret] }, { sseCustomerKey: { key: secret } }) };
    const response = await gql(api, CREATE, variables);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(response.body)).toMatch(/\[redacted\]/);
    expect(JSON.stringify(response.body)).not.toContain(part);

    const client = wsClient(api.wsUrl);
    try {
      const ws = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: CREATE, variables }, { next: resolve, error: resolve, complete: () => resolve(null) });
      });
      expect(JSON.stringify(ws)).toMatch(/\[redacted\]/);
      expect(JSON.stringify(ws)).not.toContain(part);
    } finally {
      await client.dispose();
    }
  });

  it.each([['aws_secret_access_key'], ['secretKey'], ['password'], ['session_token']])('a secret under a field no input has (%s): the unknown-field error does not repeat it', async (field) => {
    const response = await gql(api, CREATE, { input: withCredentials({ accessKeyId: 'AKIAX', [field]: 'REALSECRETVALUE' }) });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(response.body.errors?.[0]?.message).toContain(`${field}: "[redacted]"`);
    expect(JSON.stringify(response.body)).not.toContain('REALSECRETVALUE');
    expect(await countJobs(api.app)).toBe(0);
  });

  it('a secret literal with escapes in the query text', async () => {
    const literal = JSON.stringify(SECRETS[0]![1]); // "wJalr\"XUtnFEMI\\K7MDENG": a GraphQL string literal too
    const response = await gql(
      api,
      `mutation { createJob(input: { name: "lit", connectorType: S3, schedule: "hourly", paused: true,
        connectorConfig: { bucketName: "my-bucket", credentials: { accessKeyId: "AKIAX", secretAccessKey: "k", sessionToken: [${literal}] } } }) { job { id } } }`,
    );
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(response.body)).toMatch(/\[redacted\]/);
    expect(JSON.stringify(response.body)).not.toContain('XUtnFEMI');
    expect(await countJobs(api.app)).toBe(0);
  });
});
