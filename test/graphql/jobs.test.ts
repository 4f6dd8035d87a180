import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import {
  CreateJobDocument,
  DeleteJobDocument,
  JobDocument,
  JobsDocument,
  ObjectsDocument,
  RunsDocument,
  type JobsQuery,
  type ObjectsQuery,
} from '../generated/graphql.js';
import { gql } from '../helpers/clients.js';
import { countJobs, onlyError, startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

async function createJob(overrides: Record<string, unknown> = {}) {
  const { body } = await gql(api, CreateJobDocument, { input: validInput(overrides) as never });
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  return body.data.createJob.job;
}

describe('jobs over GraphQL', () => {
  it('create → jobs → job → objects (empty) → runs → deleteJob → job is null', async () => {
    const created = await gql(api, CreateJobDocument, {
      input: { name: '  nightly  ', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'my-bucket', prefix: 'data/' } },
    });
    expect(created.status).toBe(200);
    expect(created.body.errors).toBeUndefined();
    const job = created.body.data!.createJob.job;
    expect(job).toEqual({
      id: expect.stringMatching(UUID),
      name: 'nightly',
      connectorType: 'S3',
      connectorConfig: { bucketName: 'my-bucket', prefix: 'data/' },
      schedule: 'hourly',
      timezone: null,
      status: expect.stringMatching(/^(SCHEDULED|PENDING|RUNNING|FAILED)$/),
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      nextRunAt: expect.toSatisfy((v: unknown) => v === null || ISO.test(String(v))),
    });

    const list = await gql(api, JobsDocument, { first: 1000 });
    expect(list.body.data!.jobs.edges.map((e) => e.node.id)).toContain(job.id);

    const one = await gql(api, JobDocument, { id: ` ${job.id} ` });
    expect(one.body.data!.job).toMatchObject({ id: job.id, name: 'nightly' });
    expect(one.body.data!.job!.objects).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });

    const objects = await gql(api, ObjectsDocument, { jobId: job.id });
    expect(objects.body.data!.objects).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, endCursor: null },
    });
    // The first run was started by createJob (it fails fast: S3 is a closed port here).
    const runs = await gql(api, RunsDocument, { jobId: job.id });
    expect(runs.body.data!.runs.totalCount).toBeGreaterThanOrEqual(1);
    expect(runs.body.data!.runs.edges[0]!.node.trigger).toBe('CREATED');

    const deleted = await gql(api, DeleteJobDocument, { id: job.id });
    expect(deleted.body).toEqual({ data: { deleteJob: { deletedJobId: job.id } } });
    const gone = await gql(api, JobDocument, { id: job.id });
    expect(gone.body).toEqual({ data: { job: null } });
  });

  it('a job created paused has no run and keeps status PAUSED', async () => {
    const job = await createJob({ name: 'held', paused: true });
    expect(job.status).toBe('PAUSED');
    const runs = await gql(api, RunsDocument, { jobId: job.id });
    expect(runs.body.data!.runs.totalCount).toBe(0);
  });

  it('deleteJob of an unknown id is NOT_FOUND; of a malformed id BAD_USER_INPUT', async () => {
    const unknown = onlyError((await gql(api, DeleteJobDocument, { id: UNKNOWN_ID })).body);
    expect(unknown).toMatchObject({ message: 'Job not found', extensions: { code: 'NOT_FOUND' }, path: ['deleteJob'] });
    const malformed = onlyError((await gql(api, DeleteJobDocument, { id: 'not-a-uuid' })).body);
    expect(malformed).toMatchObject({ message: 'id: Invalid job ID', extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
  });

  it('objects and runs of an unknown job are NOT_FOUND; job(id) of an unknown id is null', async () => {
    expect(onlyError((await gql(api, ObjectsDocument, { jobId: UNKNOWN_ID })).body).extensions).toEqual({ code: 'NOT_FOUND' });
    expect(onlyError((await gql(api, RunsDocument, { jobId: UNKNOWN_ID })).body).extensions).toEqual({ code: 'NOT_FOUND' });
    expect((await gql(api, JobDocument, { id: UNKNOWN_ID })).body).toEqual({ data: { job: null } });
  });
});

describe('createJob input errors', () => {
  const NAME = 'Invalid job name, must be between 3 and 25 characters';
  const cases: Array<[string, Record<string, unknown>, string, string | RegExp]> = [
    ['a 2-character name', { name: 'ab' }, 'name', `name: ${NAME}`],
    ['a 26-character name', { name: 'x'.repeat(26) }, 'name', `name: ${NAME}`],
    ['a name of spaces padding 2 characters', { name: '   ab   ' }, 'name', `name: ${NAME}`],
    ['a name with a NUL', { name: 'ab\u0000cd' }, 'name', /^name: Invalid job name, must not contain control characters/],
    ['a NUL in the timezone', { schedule: '0 3 * * *', timezone: 'UTC\u0000' }, 'timezone', /^timezone: Invalid timezone/],
    ['an unknown schedule', { schedule: 'fortnightly' }, 'schedule', /^schedule: Invalid schedule, supported one: \['quinqueminutely'/],
    ['an invalid cron expression', { schedule: '61 * * * *' }, 'schedule', /^schedule: Invalid schedule/],
    ['an invalid timezone', { schedule: '0 3 * * *', timezone: 'Mars/Olympus' }, 'timezone', /^timezone: Invalid timezone "Mars\/Olympus"/],
    ['a bad bucket name', { connectorConfig: { bucketName: 'Bad_Bucket!' } }, 'connectorConfig.bucketName', /^connectorConfig\.bucketName: Invalid bucket name/],
    ['an unknown connector type', { connectorType: 'FTP' }, 'connectorType', /"FTP" does not exist in "ConnectorType" enum/],
    ['a lower-case connector type', { connectorType: 's3' }, 'connectorType', /"s3" does not exist in "ConnectorType" enum/],
    ['a missing bucketName', { connectorConfig: { prefix: 'x/' } }, 'connectorConfig.bucketName', /Field "bucketName" of required type "String!" was not provided/],
    ['a missing name', { name: undefined }, 'name', /Field "name" of required type "String!" was not provided/],
  ];

  it.each(cases)('%s → BAD_USER_INPUT naming the field, no row written', async (_label, overrides, field, message) => {
    const before = await countJobs(api.app);
    const { status, body } = await gql(api, CreateJobDocument, { input: validInput(overrides) as never });
    expect(status).toBe(200);
    const error = onlyError(body);
    expect(error.message).toMatch(message);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await countJobs(api.app)).toBe(before);
  });

  it('trims a padded name', async () => {
    expect((await createJob({ name: '   padded-name   ' })).name).toBe('padded-name');
  });

  it('a malformed id in job(id) is BAD_USER_INPUT', async () => {
    const error = onlyError((await gql(api, JobDocument, { id: '1234' })).body);
    expect(error).toMatchObject({ message: 'id: Invalid job ID', extensions: { code: 'BAD_USER_INPUT', field: 'id' }, path: ['job'] });
  });
});

describe('pagination', () => {
  it('walks jobs two at a time: no duplicates, no gaps, right totalCount', async () => {
    for (let i = 0; i < 5; i += 1) await createJob({ name: `page-job-${i}` });
    const expected = (await gql(api, JobsDocument, { first: 1000 })).body.data!.jobs;
    expect(expected.totalCount).toBeGreaterThanOrEqual(5);
    expect(expected.edges).toHaveLength(expected.totalCount);

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: JobsQuery['jobs'] = (await gql(api, JobsDocument, { first: 2, after })).body.data!.jobs;
      pages += 1;
      expect(page.totalCount).toBe(expected.totalCount);
      expect(page.edges.length).toBeLessThanOrEqual(2);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected.edges.map((e) => e.node.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(Math.ceil(expected.totalCount / 2));
  });

  it('walks objects two at a time, and filters them by status', async () => {
    const job = await createJob({ name: 'with-objects' });
    const em = api.app.orm.em.fork();
    const keys = ['a.txt', 'b/c.bin', 'é/ü.txt', 'd', 'e.json', 'f/g/h'];
    for (const [i, key] of keys.entries()) {
      em.persist(new SyncObject({ jobId: job.id, key, size: 2 ** 40 + i, status: i % 2 === 0 ? 'PROCESSED' : 'PENDING' }));
    }
    await em.flush();

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: ObjectsQuery['objects'] = (await gql(api, ObjectsDocument, { jobId: job.id, first: 2, after })).body.data!.objects;
      expect(page.totalCount).toBe(keys.length);
      seen.push(...page.edges.map((e) => e.node.key));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(keys);

    const processed = (await gql(api, ObjectsDocument, { jobId: job.id, status: 'PROCESSED' })).body.data!.objects;
    expect(processed.totalCount).toBe(3);
    expect(processed.edges.map((e) => [e.node.key, e.node.size, e.node.status])).toEqual([
      ['a.txt', 2 ** 40, 'PROCESSED'],
      ['é/ü.txt', 2 ** 40 + 2, 'PROCESSED'],
      ['e.json', 2 ** 40 + 4, 'PROCESSED'],
    ]);
    const nested = (await gql(api, JobDocument, { id: job.id })).body.data!.job!.objects;
    expect(nested.totalCount).toBe(keys.length);
    expect(nested.edges.map((e) => e.node.key)).toEqual(keys.slice(0, 5));
  });

  it('refuses first: 1001 and a malformed cursor with BAD_USER_INPUT', async () => {
    const tooMany = onlyError((await gql(api, JobsDocument, { first: 1001 })).body);
    expect(tooMany).toMatchObject({ message: 'first must be an integer between 0 and 1000', extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
    const negative = onlyError((await gql(api, JobsDocument, { first: -1 })).body);
    expect(negative.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const cursor = onlyError((await gql(api, JobsDocument, { after: 'garbage' })).body);
    expect(cursor).toMatchObject({ message: 'after is not a valid cursor', extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
  });
});

describe('query limits', () => {
  it('refuses a costly query before running it', async () => {
    const costly = `{ jobs(first: 1000) { edges { node { objects(first: 1000) { edges { node { key } } } } } } }`;
    const { body } = await gql(api, costly);
    const error = onlyError(body);
    expect(error.message).toMatch(/^Query is too costly: complexity \d+ \(maximum 25000\)/);
    expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect(body).not.toHaveProperty('data');
  });

  it('counts variables in the cost: the same document passes with a small page', async () => {
    const doc = `query ($n: Int) { jobs(first: $n) { edges { node { objects(first: $n) { totalCount } } } } }`;
    expect(onlyError((await gql(api, doc, { n: 1000 })).body).extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect((await gql(api, doc, { n: 10 })).body.errors).toBeUndefined();
  });

  it('refuses a query nested too deep (cyclic introspection types)', async () => {
    const deep = `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } }`;
    const { body } = await gql(api, deep);
    expect(body).not.toHaveProperty('data');
    // graphql-js's own introspection-depth rule may add its error next to ours.
    expect(body.errors).toContainEqual(
      expect.objectContaining({ message: 'Query is too deep: depth 12 exceeds the maximum of 10', extensions: expect.objectContaining({ code: 'QUERY_TOO_DEEP' }) }),
    );
  });

  it("lets GraphiQL's full introspection query through", async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const { body } = await gql(api, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }));
    expect(body.errors).toBeUndefined();
  });
});
