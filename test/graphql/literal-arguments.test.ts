import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlData } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Contract §3: "Invalid input → a GraphQL error whose extensions.code is BAD_USER_INPUT and whose
 * message names the field". The project also answers statically invalid documents with
 * GRAPHQL_VALIDATION_FAILED (test/graphql/malformed-inputs.test.ts accepts either). A wrong-typed
 * literal for an argument of a connection field (jobs/objects/runs/Job.objects) gets neither.
 */
let app: TestApp;
let jobId: string;
beforeAll(async () => {
  app = await startTestApp();
  const created = await gqlData<{ createJob: { job: { id: string } } }>(
    app,
    `mutation { createJob(input: {name: "lit", connectorType: S3, schedule: "hourly", paused: true, connectorConfig: {bucketName: "bkt"}}) { job { id } } }`,
  );
  jobId = created.createJob.job.id;
});
afterAll(async () => {
  await app.stop();
});

const CLIENT_CODES = ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'];

describe('a literal argument of the wrong type on a connection field', () => {
  it.each([
    ['jobs(first: "x")', () => `{ jobs(first: "x") { totalCount } }`],
    ['jobs(first: 1.5)', () => `{ jobs(first: 1.5) { totalCount } }`],
    ['jobs(first: 99999999999)', () => `{ jobs(first: 99999999999) { totalCount } }`],
    ['objects(first: true)', () => `{ objects(jobId: "${jobId}", first: true) { totalCount } }`],
    ['runs(first: "10")', () => `{ runs(jobId: "${jobId}", first: "10") { totalCount } }`],
    ['job { objects(first: "x") }', () => `{ job(id: "${jobId}") { objects(first: "x") { totalCount } } }`],
  ])('%s is answered with a client error code', async (_label, query) => {
    const { status, body } = await gql(app, query());
    expect(status).toBe(200);
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const error of body.errors ?? []) expect(CLIENT_CODES).toContain(error.extensions?.code);
    expect(body.errors?.[0]?.message).toMatch(/first|Int/);
  });

  it('the same mistake on a field without a cost function already gets GRAPHQL_VALIDATION_FAILED (control)', async () => {
    const { body } = await gql(app, `mutation { deleteJob(id: ["a"]) { deletedJobId } }`);
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('a variable of the wrong declared type used as a page size', () => {
  it('is one validation error, not also a "complexity NaN" QUERY_TOO_COMPLEX', async () => {
    const { body } = await gql(app, `query($f: String) { jobs(first: $f) { totalCount } }`, { f: 'x' });
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('a ByteSize (bandwidthLimit) that is neither a number nor a string', () => {
  const CREATE = 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }';

  it.each([[true], [[1]], [{ a: 1 }]])('as a variable (%j): BAD_USER_INPUT naming connectorConfig.bandwidthLimit', async (value) => {
    const input = { name: 'bytes', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'bkt', bandwidthLimit: value } };
    const { body } = await gql(app, CREATE, { input });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('at "input.connectorConfig.bandwidthLimit"'),
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'connectorConfig.bandwidthLimit' }),
      }),
    ]);
  });

  it.each([['true'], ['FOO'], ['[1]']])('as a literal (%s): a validation error at its location, not taken for a string', async (literal) => {
    const { body } = await gql(app, `mutation { createJob(input: { name: "bytes", connectorType: S3, schedule: "hourly", paused: true, connectorConfig: { bucketName: "bkt", bandwidthLimit: ${literal} } }) { job { id } } }`);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^Expected value of type "ByteSize", found .*; ByteSize must be a number or a string/), locations: [expect.any(Object)] }),
    ]);
  });
});
