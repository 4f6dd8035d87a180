import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, wsClient } from '../helpers/clients.js';
import { countJobs, startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

/** `[[[…[1]…]]]`, `depth` arrays deep, as JSON text (a 6 KB body at 3,000). */
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const CREATE = 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }';

describe('deeply nested variables', () => {
  it('an unused variable 3,000 arrays deep: the operation is answered', async () => {
    const body = `{"query":"{__typename}","variables":{"x":${nested(3000)}}}`;
    expect(body.length).toBeLessThan(7_000);
    const response = await http(api.graphqlUrl, 'POST', '', body, { accept: 'application/json' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('100,000 arrays deep, as a secret and beside one: a client error, never a 500', async () => {
    const input = JSON.stringify(validInput({ connectorConfig: { bucketName: 'my-bucket', credentials: { accessKeyId: 'AKIAX', secretAccessKey: 'sEcReT-41' } } }));
    for (const variables of [
      `{"input":${input.replace('"sEcReT-41"', nested(100_000))}}`,
      `{"input":${input.replace('"sEcReT-41"', `"sEcReT-41","foo":${nested(100_000)}`)}}`,
    ]) {
      const response = await http(api.graphqlUrl, 'POST', '', `{"query":${JSON.stringify(CREATE)},"variables":${variables}}`, { accept: 'application/json' });
      expect(response.status).toBeLessThan(500);
      expect(response.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
      expect(response.text).not.toContain('Unexpected error');
      expect(response.text).not.toContain('sEcReT-41');
    }
    expect(await countJobs(api.app)).toBe(0);
  });

  it('over WebSocket: answered, or the message refused (4400), never an internal error (4500)', async () => {
    // graphql-ws parses a message with a reviver (ws.ts), which gives up on JSON ~3,000 levels deep:
    // the socket is then closed as a bad request before the operation reaches yoga.
    for (const depth of [1500, 3000]) {
      const client = wsClient(api.wsUrl);
      try {
        const outcome = await new Promise<unknown>((resolve) => {
          client.subscribe({ query: '{__typename}', variables: { x: JSON.parse(nested(depth)) } }, { next: resolve, error: resolve, complete: () => resolve('completed without a result') });
        });
        const closedAs = (outcome as { code?: unknown }).code;
        if (closedAs === undefined) expect(outcome).toEqual({ data: { __typename: 'Query' } });
        else expect({ depth, closedAs }).toEqual({ depth: 3000, closedAs: 4400 });
      } finally {
        await client.dispose();
      }
    }
  });
});

describe('deeply nested documents', () => {
  /** `{ jobs(after: [[[…]]]) { totalCount } }`, 3,000 lists deep: ~6 KB that overflows graphql-js's recursive parser. */
  const deepQuery = `{ jobs(after: ${nested(3000)}) { totalCount } }`;

  it('over HTTP: a syntax error like any other, not an internal error', async () => {
    const response = await http(api.graphqlUrl, 'POST', '', { query: deepQuery }, { accept: 'application/json' });
    const plainSyntaxError = await http(api.graphqlUrl, 'POST', '', { query: '{ jobs(' }, { accept: 'application/json' });
    expect(response.status).toBe(plainSyntaxError.status);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: 'Syntax Error: the document is nested too deeply.', extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }) }),
    ]);
    expect(response.text).not.toContain('Unexpected error');
  });

  it('over WebSocket: an error message on the socket (not a 4500 close), without yoga\'s extensions.http', async () => {
    const client = wsClient(api.wsUrl);
    try {
      const outcome = async (query: string) =>
        new Promise<unknown>((resolve) => {
          client.subscribe({ query }, { next: resolve, error: resolve, complete: () => resolve('completed without a result') });
        });
      expect(await outcome(deepQuery)).toEqual([
        expect.objectContaining({ message: 'Syntax Error: the document is nested too deeply.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
      ]);
      const invalid = (await outcome('{ noSuchField }')) as Array<{ extensions?: Record<string, unknown> }>;
      expect(invalid.length).toBeGreaterThan(0);
      for (const error of invalid) expect(error.extensions ?? {}).not.toHaveProperty('http');
    } finally {
      await client.dispose();
    }
  });
});

