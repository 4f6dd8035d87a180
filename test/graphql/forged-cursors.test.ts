import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
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

describe("a cursor from another connection is BAD_USER_INPUT naming after, not a page from the wrong place", () => {
  const runsQuery = `query ($id: ID!, $after: String) { runs(jobId: $id, first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } } }`;
  const objectsQuery = `query ($id: ID!, $after: String) { job(id: $id) { objects(first: 1, after: $after) { edges { node { key } } pageInfo { endCursor } } } }`;
  type RunsPage = { runs: { edges: Array<{ node: { id: string } }>; pageInfo: { endCursor: string } } };
  type ObjectsPage = { job: { objects: { edges: Array<{ node: { key: string } }>; pageInfo: { endCursor: string } } } };

  it('runs(after: an objects cursor), objects(after: a runs cursor), webhookDeliveries(after: a jobs cursor)', async () => {
    const em = app.orm.em.fork();
    const runs = [1, 2, 3].map(() => new SyncRun({ jobId, trigger: 'MANUAL', status: 'SUCCEEDED' }));
    em.persist([...runs, ...['a', 'b', 'c'].map((key) => new SyncObject({ jobId, key, size: 1, status: 'PENDING' }))]);
    await em.flush();

    const runsPage = await gql<RunsPage, unknown>(app, runsQuery, { id: jobId });
    const objectsPage = await gql<ObjectsPage, unknown>(app, objectsQuery, { id: jobId });
    const runsCursor = runsPage.body.data!.runs.pageInfo.endCursor;
    const objectsCursor = objectsPage.body.data!.job.objects.pageInfo.endCursor;

    const runsAfterObjects = await gql(app, runsQuery, { id: jobId, after: objectsCursor });
    expect(runsAfterObjects.status).toBe(200);
    expect(runsAfterObjects.body).toMatchObject({
      data: null,
      errors: [{ message: 'after is a cursor of objects, not of runs', extensions: { code: 'BAD_USER_INPUT', field: 'after' } }],
    });
    const objectsAfterRuns = await gql(app, objectsQuery, { id: jobId, after: runsCursor });
    expect(objectsAfterRuns.body).toMatchObject({
      data: { job: null },
      errors: [{ message: 'after is a cursor of runs, not of objects', extensions: { code: 'BAD_USER_INPUT', field: 'after' } }],
    });
    const jobsCursor = (await gql<{ jobs: { pageInfo: { endCursor: string } } }, unknown>(app, `{ jobs(first: 1) { pageInfo { endCursor } } }`)).body.data!.jobs.pageInfo.endCursor;
    const deliveries = await gql(app, `query ($id: ID!, $after: String) { job(id: $id) { webhookDeliveries(after: $after) { totalCount } } }`, { id: jobId, after: jobsCursor });
    expect((deliveries.body as Errors).errors).toMatchObject([{ message: 'after is a cursor of jobs, not of webhookDeliveries', extensions: { code: 'BAD_USER_INPUT', field: 'after' } }]);
  });

  it("each connection's own cursor pages on, and one without a connection name (as handed out before) still does", async () => {
    const first = await gql<RunsPage, unknown>(app, runsQuery, { id: jobId });
    const [newest] = first.body.data!.runs.edges.map((edge) => Number(edge.node.id));
    const next = await gql<RunsPage, unknown>(app, runsQuery, { id: jobId, after: first.body.data!.runs.pageInfo.endCursor });
    expect(next.body.data!.runs.edges).toEqual([{ node: { id: String(newest! - 1) } }]);
    const unnamed = await gql<RunsPage, unknown>(app, runsQuery, { id: jobId, after: cursorOf([newest]) });
    expect(unnamed.body.data!.runs.edges).toEqual([{ node: { id: String(newest! - 1) } }]);

    const objects = await gql<ObjectsPage, unknown>(app, objectsQuery, { id: jobId });
    const after = objects.body.data!.job.objects.pageInfo.endCursor;
    const nextObjects = await gql<ObjectsPage, unknown>(app, objectsQuery, { id: jobId, after });
    expect(nextObjects.body.data!.job.objects.edges).toEqual([{ node: { key: 'b' } }]);
  });
});
