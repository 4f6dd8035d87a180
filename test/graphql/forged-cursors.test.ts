import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs } from './graphql-env.js';

/**
 * A cursor is opaque but travels through the client: a forged one (a number no date can hold, a
 * string the database cannot store) is the client's mistake, refused like any malformed cursor
 * (BAD_USER_INPUT naming `after`), never a 500, on SQLite and PostgreSQL alike.
 */
let app: TestApp;
let jobId: string;
beforeAll(async () => {
  app = await startTestApp();
  const created = await gql<{ createJob: { job: { id: string } } }, unknown>(
    app,
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`,
    { input: { name: 'cursors', connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'my-bucket' } } },
  );
  jobId = created.body.data!.createJob.job.id;
});
afterAll(async () => {
  await app.stop();
});

const cursorOf = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
/** `JSON.stringify` writes a lone surrogate as `\ud800`, which JSON.parse reads back as one. */
const forged: Array<[string, string]> = [
  ['[1e300,"x"]', 'WzFlMzAwLCJ4Il0'],
  ['[9e15,"x"]', cursorOf([9e15, 'x'])],
  ['[-9e15,"x"]', cursorOf([-9e15, 'x'])],
  ['[-1e300,"\\ud800"]', cursorOf([-1e300, '\ud800'])],
  ['[1700000000000.5,"x"]', cursorOf([1700000000000.5, 'x'])],
  ['[1700000000000,"\\ud800"]', cursorOf([1700000000000, '\ud800'])],
  ['[1700000000000,"\\udc00x"]', cursorOf([1700000000000, '\udc00x'])],
  ['[1700000000000,"a\\u0000"]', cursorOf([1700000000000, 'a\u0000'])],
  ['[-8.64e15,"x"] (before any date PostgreSQL keeps)', cursorOf([-8.64e15, 'x'])],
  ['[8.64e15,"x"]', cursorOf([8.64e15, 'x'])],
];
const forgedIds: Array<[string, string]> = [
  ['[1e300]', cursorOf([1e300])],
  ['[-1e300]', cursorOf([-1e300])],
  ['[1.5]', cursorOf([1.5])],
  ['[9007199254740993]', Buffer.from('[9007199254740993]').toString('base64url')],
];

type Errors = { errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }> };

function expectRefusedCursor(body: Errors) {
  expect(body.errors).toHaveLength(1);
  expect(body.errors![0]).toMatchObject({ message: 'after is not a valid cursor', extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
}

describe('a forged cursor is BAD_USER_INPUT naming after, never a 500', () => {
  it.each(forged)('jobs(after: %s)', async (_name, after) => {
    const { status, body } = await gql(app, `query ($after: String) { jobs(after: $after) { totalCount } }`, { after });
    expect(status).toBe(200);
    expectRefusedCursor(body as Errors);
  });

  it.each(forged)('job(id) { webhookDeliveries(after: %s) }', async (_name, after) => {
    const { status, body } = await gql(app, `query ($id: ID!, $after: String) { job(id: $id) { webhookDeliveries(after: $after) { totalCount } } }`, { id: jobId, after });
    expect(status).toBe(200);
    expectRefusedCursor(body as Errors);
  });

  it.each(forgedIds)('runs(after: %s) and objects(after: the same)', async (_name, after) => {
    for (const query of [
      `query ($id: ID!, $after: String) { runs(jobId: $id, after: $after) { totalCount } }`,
      `query ($id: ID!, $after: String) { objects(jobId: $id, after: $after) { totalCount } }`,
    ]) {
      const { status, body } = await gql(app, query, { id: jobId, after });
      expect(status).toBe(200);
      expectRefusedCursor(body as Errors);
    }
  });

  it('an honest cursor still pages, and nothing was written', async () => {
    const first = await gql<{ jobs: { pageInfo: { endCursor: string } } }, unknown>(app, `{ jobs(first: 1) { pageInfo { endCursor } } }`);
    const after = first.body.data!.jobs.pageInfo.endCursor;
    const next = await gql(app, `query ($after: String) { jobs(after: $after) { totalCount edges { node { id } } } }`, { after });
    expect(next.body).toEqual({ data: { jobs: { totalCount: 1, edges: [] } } });
    const deliveries = await gql(app, `query ($id: ID!, $after: String) { job(id: $id) { webhookDeliveries(after: $after) { totalCount } } }`, {
      id: jobId,
      after: cursorOf([Date.now(), '00000000-0000-4000-8000-000000000000']),
    });
    expect(deliveries.body).toEqual({ data: { job: { webhookDeliveries: { totalCount: 0 } } } });
    expect(await countJobs(app)).toBe(1);
  });
});
