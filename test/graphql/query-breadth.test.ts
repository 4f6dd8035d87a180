import { getIntrospectionQuery, type FormattedExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsDocument } from '../generated/graphql.js';
import { gql, wsClient } from '../helpers/clients.js';
import { onlyError, startGraphqlApp, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

/** The introspection selection from the review: 22 fields per `types` alias. */
const TYPES = 'types{name fields{name args{name type{name}} type{name ofType{name} fields{name description args{name description type{name}} type{name}}}}}';
const aliasedTypes = (count: number) => `{__schema{${Array.from({ length: count }, (_, i) => `t${i}:${TYPES}`).join(' ')}}}`;

/** POSTs a query as JSON. */
async function post(url: string, query: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query }) });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as FormattedExecutionResult };
}

function expectTooBroad(body: FormattedExecutionResult, breadth: number) {
  expect(body).not.toHaveProperty('data');
  const error = onlyError(body);
  expect(error.message).toBe(`Query is too costly: complexity ${error.extensions?.complexity} (maximum 25000), breadth ${breadth} (maximum 300); ask for smaller pages or fewer fields`);
  expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', breadth, maxBreadth: 300, maxComplexity: 25_000, maxDepth: 10 });
}

describe('breadth counts every field, introspection included', () => {
  it('refuses many aliases of __schema.types before running them', async () => {
    const { status, body } = await post(api.graphqlUrl, aliasedTypes(20));
    expect(status).toBe(200);
    expectTooBroad(body, 20 * 22 + 1);
  });

  it('refuses 299 top-level __schema aliases', async () => {
    const query = `{${Array.from({ length: 299 }, (_, i) => `s${i}:__schema{queryType{name}}`).join(' ')}}`;
    expectTooBroad((await post(api.graphqlUrl, query)).body, 299 * 3);
  });

  it('counts a fragment at every spread', async () => {
    const query = `{__schema{${Array.from({ length: 50 }, (_, i) => `t${i}:types{...T}`).join(' ')}}} fragment T on __Type{name kind description specifiedByURL fields{name}}`;
    expectTooBroad((await post(api.graphqlUrl, query)).body, 1 + 50 * 7);
  });

  it('counts fragments that spread each other over and over without expanding them (else this would not end)', async () => {
    // 2^40 fields once expanded; graphql-js merges repeated spreads when executing, but the count does not.
    const levels = Array.from({ length: 40 }, (_, i) => `fragment F${i} on __Type{name a${i}:ofType{...F${i + 1}} b${i}:ofType{...F${i + 1}}}`);
    const query = `{__type(name:"Query"){...F0}} ${levels.join(' ')} fragment F40 on __Type{name}`;
    const { body } = await post(api.graphqlUrl, query);
    expect(body).not.toHaveProperty('data');
    expect(body.errors).toContainEqual(expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', maxBreadth: 300 }) }));
  });

  it('refuses the 440 KB query from the review with a short error (not an 87 MB answer); health is answered meanwhile', async () => {
    const query = aliasedTypes(3000);
    expect(JSON.stringify({ query }).length).toBeGreaterThan(300_000);
    let done = false;
    const big = post(api.graphqlUrl, query).finally(() => (done = true));
    while (!done) expect((await fetch(`${api.app.url}/healthz`)).status).toBe(200);
    const { status, body, text } = await big;
    expect(status).toBe(200);
    expectTooBroad(body, 3000 * 22 + 1);
    expect(text.length).toBeLessThan(2_000);
  });

  it('refuses it over WebSocket too', async () => {
    const client = wsClient(api.wsUrl);
    try {
      const outcome = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: aliasedTypes(20) }, { next: resolve, error: resolve, complete: () => resolve('completed without a result') });
      });
      expect(outcome).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', breadth: 441 }) })]);
    } finally {
      await client.dispose();
    }
  });
});

describe('breadth still admits what clients send', () => {
  it.each([
    ['default options', {}],
    ['as GraphiQL asks', { descriptions: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, oneOf: true }],
  ])("GraphiQL's introspection query (getIntrospectionQuery, %s)", async (_name, options) => {
    const { status, body } = await post(api.graphqlUrl, getIntrospectionQuery(options));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ __schema: { queryType: { name: 'Query' } } });
  });

  it('ordinary app queries', async () => {
    const { status, body } = await gql(api, JobsDocument, {});
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect((await gql(api, '{ __type(name: "Job") { name fields { name type { name kind ofType { name } } } } }')).body.errors).toBeUndefined();
  });

  it('exactly 300 fields pass and 301 do not', async () => {
    // __typename, __schema and 149 × queryType{name}: 300 fields.
    const query = (extra: string) => `{__typename __schema{${Array.from({ length: 149 }, (_, i) => `q${i}:queryType{name}`).join(' ')}${extra}}}`;
    const ok = await post(api.graphqlUrl, query(''));
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
    expectTooBroad((await post(api.graphqlUrl, query(' description'))).body, 301);
  });
});

describe('previewSync lists the whole prefix', () => {
  it('one per operation: two aliases are refused as too costly before either lists anything', async () => {
    const jobId = '00000000-0000-4000-8000-000000000000';
    const one = await post(api.graphqlUrl, `{ p0: previewSync(jobId: "${jobId}") { listedObjects } }`);
    expect(one.body.errors).toEqual([expect.objectContaining({ message: 'Job not found' })]);
    const two = await post(api.graphqlUrl, `{ p0: previewSync(jobId: "${jobId}") { listedObjects } p1: previewSync(jobId: "${jobId}") { listedObjects } }`);
    expect(two.body).not.toHaveProperty('data');
    expect(onlyError(two.body).extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxComplexity: 25_000 });
  });
});


describe('a field the schema does not have', () => {
  it('is one error, graphql’s own, with its location (not also the cost rule’s "Unknown field selected")', async () => {
    const { body } = await post(api.graphqlUrl, '{ nope }');
    expect(body.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "nope" on type "Query".', locations: [{ line: 1, column: 3 }] })]);
  });
});
