import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, wsClient } from '../helpers/clients.js';
import { startGraphqlApp, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';
/** A mutation with one typo (the `:` after secretAccessKey is missing): graphql-js's syntax error quotes the next token. */
const MISTYPED = `mutation { createJob(input: { name: "abc", connectorType: S3, schedule: "hourly", connectorConfig: { bucketName: "my-bucket", credentials: { accessKeyId: "AKIAX", secretAccessKey "${SECRET}" } } }) { job { id } } }`;

/** README (Per-job connections): input errors never repeat a secret; use-plain-body-errors.ts drops a quoted body for the same reason. */
describe('a syntax error in a mutation carrying credentials does not repeat the secret', () => {
  it('over HTTP (application/json)', async () => {
    const response = await http(api.app, 'POST', '/graphql', { query: MISTYPED });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(response.text).not.toContain(SECRET);
  });

  it('over HTTP (application/graphql)', async () => {
    const response = await http(api.app, 'POST', '/graphql', MISTYPED, { 'content-type': 'application/graphql' });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(response.text).not.toContain(SECRET);
  });

  it('over WebSocket', async () => {
    const client = wsClient(api.wsUrl);
    try {
      const result = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: MISTYPED }, { next: resolve, error: resolve, complete: () => resolve(null) });
      });
      expect(JSON.stringify(result)).toMatch(/Syntax Error/);
      expect(JSON.stringify(result)).not.toContain(SECRET);
    } finally {
      await client.dispose();
    }
  });

  it('over HTTP, a secret holding a double quote (graphql-js writes the value unescaped)', async () => {
    const tail = 'MDENGbPxRfiCYEXAMPLEKEY';
    const mistyped = MISTYPED.replace(`"${SECRET}"`, `"wJalr\\"${tail}"`);
    const response = await http(api.app, 'POST', '/graphql', { query: mistyped });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(response.body.errors?.[0]?.message).toBe('Syntax Error: Expected ":", found String.');
    expect(response.text).not.toContain(tail);
  });
});
