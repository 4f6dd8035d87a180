import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs, validJob } from './rest-env.js';

/**
 * A NUL or a lone surrogate cannot be stored (PostgreSQL refused the INSERT: a 500, with the whole
 * statement in the log; SQLite kept it): webhook URLs and key patterns refuse them, with a 400 /
 * BAD_USER_INPUT naming the field, and no row is written, on both databases.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const graphqlJob = (overrides: Record<string, unknown>) => ({
  name: 'text',
  connectorType: 'S3',
  schedule: 'hourly',
  paused: true,
  connectorConfig: { bucketName: 'bkt' },
  ...overrides,
});

function expectNoInsertLogged() {
  expect(app.errorLines.join('\n')).not.toMatch(/insert into/i);
}

describe('a webhook url that no database can store is refused naming the field', () => {
  const urls: Array<[string, string]> = [
    ['a NUL', 'http://example.com/a\u0000b'],
    ['a lone surrogate', 'http://example.com/\ud800'],
    ['a lone low surrogate', 'http://example.com/x?y=\udfff'],
    ['a tab', 'http://example.com/a\tb'],
    ['a line break', 'http://example.com/a\nb'],
  ];

  it.each(urls)('%s: REST create_job is a 400 and writes no row', async (_name, url) => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url: 'https://hooks.example.com/ok' }, { url }] }));
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('webhooks[1].url must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates');
    expect(await countJobs(app)).toBe(0);
    expectNoInsertLogged();
  });

  it.each(urls)('%s: GraphQL createJob is BAD_USER_INPUT and writes no row', async (_name, url) => {
    const { status, body } = await gql(app, CREATE, { input: graphqlJob({ webhooks: [{ url }] }) });
    expect(status).toBe(200);
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('webhooks[0].url must not contain control characters'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(await countJobs(app)).toBe(0);
  });

  it('an update with such a url keeps the job and its webhooks unchanged', async () => {
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url: 'https://hooks.example.com/ok' }] }));
    expect(created.status).toBe(200);
    const id: string = created.body.job_id;
    try {
      const rest = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, job_name: 'renamed', webhooks: [{ url: 'http://example.com/a\u0000b' }] });
      expect(rest.status).toBe(400);
      expect(rest.body.message).toMatch(/^webhooks\[0\]\.url must not contain control characters/);
      const graphql = await gql(app, `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { id } } }`, {
        id,
        input: { name: 'renamed', webhooks: [{ url: 'http://example.com/\ud800' }] },
      });
      expect(graphql.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(graphql.body.errors?.[0]?.message).toMatch(/webhooks\[0\]\.url must not contain/);
      const read = await gql<{ job: { name: string; webhooks: Array<{ url: string }> } }, unknown>(app, `query ($id: ID!) { job(id: $id) { name webhooks { url } } }`, { id });
      expect(read.body.data!.job).toEqual({ name: 'nightly', webhooks: [{ url: 'https://hooks.example.com/ok' }] });
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id });
    }
    expectNoInsertLogged();
  });

  it('a url with a percent-encoded NUL or non-ASCII text is still accepted', async () => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url: 'https://hooks.example.com/a%00b/é/\u{1F600}' }] }));
    expect(res.status).toBe(200);
    await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: res.body.job_id });
  });
});

describe('include / exclude patterns that no database can store are refused naming the field', () => {
  it.each([
    ['include', ['a\u0000b']],
    ['include', ['\ud800']],
    ['exclude', ['x\u0000']],
  ])('REST create_job with %s %j is a 400 and writes no row', async (field, patterns) => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, connector_config: { bucket_name: 'bkt', [field]: patterns } }));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(new RegExp(`^Invalid ${field}, a pattern must not contain a NUL character or an unpaired surrogate$`));
    expect(await countJobs(app)).toBe(0);
    expectNoInsertLogged();
  });

  it('GraphQL createJob with exclude:["x\\u0000"] written in the query is BAD_USER_INPUT', async () => {
    const { status, body } = await gql(
      app,
      `mutation { createJob(input: { name: "text", connectorType: S3, schedule: "hourly", paused: true,
        connectorConfig: { bucketName: "bkt", exclude: ["x\\u0000"] } }) { job { id } } }`,
    );
    expect(status).toBe(200);
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/Invalid exclude, a pattern must not contain a NUL/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(await countJobs(app)).toBe(0);
    expectNoInsertLogged();
  });
});

describe('a job name, prefix or key prefix that no database can store is refused naming the field', () => {
  it.each([
    ['job_name', { job_name: 'name \ud800' }, 'Invalid job name, must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates'],
    ['job_name', { job_name: 'ab\u2028c' }, 'Invalid job name, must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates'],
    ['job_name', { job_name: 'ab\u2029c' }, 'Invalid job name, must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates'],
    ['prefix', { connector_config: { bucket_name: 'bkt', prefix: 'data/\udc00/' } }, 'Invalid prefix, must not contain a NUL character or an unpaired surrogate'],
    ['prefix', { connector_config: { bucket_name: 'bkt', prefix: 'data/\u0000' } }, 'Invalid prefix, must not contain a NUL character or an unpaired surrogate'],
  ])('REST create_job with a lone surrogate, NUL or line separator in %s is a 400 and writes no row', async (_field, overrides, message) => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, ...overrides }));
    expect(res).toMatchObject({ status: 400, body: { message } });
    expect(await countJobs(app)).toBe(0);
  });

  // (A query string cannot carry one: its decoding turns bytes that are no UTF-8 into U+FFFD.)
  it('a key prefix with a lone surrogate is refused by GraphQL', async () => {
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true }));
    const id: string = created.body.job_id;
    try {
      const graphql = await gql(app, `query ($id: ID!, $p: String) { job(id: $id) { objects(keyPrefix: $p) { totalCount } } }`, { id, p: 'a\ud800' });
      expect(graphql.body.errors?.[0]).toMatchObject({ message: 'keyPrefix must not contain a NUL character or an unpaired surrogate', extensions: { code: 'BAD_USER_INPUT' } });
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id });
    }
  });
});
