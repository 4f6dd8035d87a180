import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/config/logger.js';
import { gql, http, wsClient } from '../helpers/clients.js';import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs } from '../graphql/graphql-env.js';

const SECRET = 'Zq8-uNiQuE-sEcReT-vAlUe-41';
const TOKEN = 'uNiQuE-sEsSiOn-ToKeN-77';
const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;

let app: TestApp;
const logged: string[] = [];
beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });
  app = await startTestApp({ env: { SECRETS_KEY: randomBytes(32).toString('base64'), SYNC_CONCURRENCY: '8' }, logger: createLogger('trace', stream) });
});
afterAll(async () => {
  await app.stop();
  // Every request above was logged (trace level); no secret value reached the log.
  const text = logged.join('');
  expect(text.length).toBeGreaterThan(0);
  for (const secret of [SECRET, TOKEN, '419283771', '8675309123']) expect(text).not.toContain(secret);
});

const input = (connectorConfig: Record<string, unknown>) => ({
  name: 'settings',
  connectorType: 'S3',
  schedule: 'hourly',
  paused: true,
  connectorConfig: { bucketName: 'my-bucket', ...connectorConfig },
});
const restBody = (config: Record<string, unknown>) => ({
  job_name: 'settings',
  connector_type: 'S3',
  schedule: 'hourly',
  paused: true,
  connector_config: { bucket_name: 'my-bucket', ...config },
});

/** REST's refusal of a fractional percentage, and GraphQL's (its Int type refuses it first). */
const FRACTIONAL_PERCENT = /maxDeletePercent(?: \(max_delete_percent\), must be a whole number from 0 to 100|"; Int cannot represent non-integer value: 50\.5)$/;

describe('per-job settings: bad input names the field and stores nothing', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
    ['an ftp:// endpoint', { endpoint: 'ftp://files.example.com' }, { endpoint_url: 'ftp://files.example.com' }, /endpoint \(endpoint_url\).*http/],
    ['an endpoint with credentials in it', { endpoint: 'https://u:p@s3.example.com' }, { endpoint_url: 'https://u:p@s3.example.com' }, /endpoint/],
    ['a region with spaces', { region: 'eu west 1' }, { region: 'eu west 1' }, /Invalid region/],
    ['a negative maxConcurrency', { maxConcurrency: -1 }, { max_concurrency: -1 }, /maxConcurrency \(max_concurrency\).*SYNC_CONCURRENCY \(8\)/],
    ['a maxConcurrency of 0', { maxConcurrency: 0 }, { max_concurrency: 0 }, /must be a whole number from 1 to SYNC_CONCURRENCY \(8\)/],
    ['a maxConcurrency over SYNC_CONCURRENCY', { maxConcurrency: 9 }, { max_concurrency: 9 }, /SYNC_CONCURRENCY \(8\)/],
    ['a negative bandwidthLimit', { bandwidthLimit: -5 }, { bandwidth_limit: -5 }, /bandwidthLimit \(bandwidth_limit\)/],
    ['a bandwidthLimit with an unknown unit', { bandwidthLimit: '20 furlongs' }, { bandwidth_limit: '20 furlongs' }, /bandwidthLimit/],
    ['maxDeletePercent above 100', { maxDeletePercent: 101 }, { max_delete_percent: 101 }, /maxDeletePercent \(max_delete_percent\).*0 to 100/],
    ['maxDeletePercent below 0', { maxDeletePercent: -0.5 }, { max_delete_percent: -0.5 }, /maxDeletePercent/],
    ['an unclosed bracket in a pattern', { include: ['logs/[a-z'] }, { include: ['logs/[a-z'] }, /include/],
    ['a pattern of 21 wildcards (its matching cost grows with each)', { exclude: ['*a'.repeat(21)] }, { exclude: ['*a'.repeat(21)] }, /Invalid exclude, not a glob pattern the filters take: more than 20 wildcards/],
    ['too many patterns', { exclude: Array.from({ length: 101 }, (_, i) => `${i}/**`) }, { exclude: Array.from({ length: 101 }, (_, i) => `${i}/**`) }, /exclude.*at most 100/],
    // Text no database stores (PostgreSQL refused the INSERT with a 500; SQLite kept it).
    ['a NUL in an include pattern', { include: ['a\u0000b'] }, { include: ['a\u0000b'] }, /Invalid include, a pattern must not contain a NUL character/],
    ['a lone surrogate in an include pattern', { include: ['\ud800'] }, { include: ['\ud800'] }, /Invalid include, .*unpaired surrogate/],
    ['a NUL in an exclude pattern', { exclude: ['*.tmp', 'x\u0000'] }, { exclude: ['*.tmp', 'x\u0000'] }, /Invalid exclude, a pattern must not contain a NUL/],
    ['a lone low surrogate in an exclude pattern', { exclude: ['logs/\udc00*'] }, { exclude: ['logs/\udc00*'] }, /Invalid exclude, .*unpaired surrogate/],
    ['a NUL in the endpoint', { endpoint: 'https://s3.example.com/a\u0000b' }, { endpoint_url: 'https://s3.example.com/a\u0000b' }, /Invalid endpoint \(endpoint_url\), must not contain control characters/],
    ['a lone surrogate in the endpoint', { endpoint: 'https://s3.example.com/\ud800' }, { endpoint_url: 'https://s3.example.com/\ud800' }, /Invalid endpoint \(endpoint_url\), .*unpaired surrogates/],
    [
      'a NUL in the secret access key',
      { credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'a\u0000b' } },
      { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'a\u0000b' },
      /Invalid credentials.secretAccessKey \(aws_secret_access_key\), must not contain control characters/,
    ],
    [
      'a line break in the session token',
      { credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'tok\r\nX-Injected: 1' } },
      { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'secret', aws_session_token: 'tok\r\nX-Injected: 1' },
      /Invalid credentials.sessionToken \(aws_session_token\), must not contain control characters/,
    ],
    // The column is an integer: PostgreSQL stored 51, SQLite 50.5. GraphQL's Int refuses it before our validation (REST's words first).
    ['a fractional maxDeletePercent', { maxDeletePercent: 50.5 }, { max_delete_percent: 50.5 }, FRACTIONAL_PERCENT],
  ];

  it.each(cases)('%s', async (_name, graphqlConfig, restConfig, message) => {
    const graphql = await gql(app, CREATE, { input: input(graphqlConfig) });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(graphql.body.errors?.[0]?.message).toMatch(message);
    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', restBody(restConfig));
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(message);
    expect(await countJobs(app)).toBe(0);
  });

  it('a pattern that is not a string: REST names the field; GraphQL refuses it as a [String!]', async () => {
    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', restBody({ include: ['*.csv', 42] }));
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/Invalid include.*glob patterns/);
    const graphql = await gql(app, CREATE, { input: input({ include: ['*.csv', 42] }) });
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(graphql.body.errors?.[0]?.message).toMatch(/include/);
    expect(await countJobs(app)).toBe(0);
  });

  it('an update with a bad field changes nothing', async () => {
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, { input: input({ maxConcurrency: 2, include: ['*.csv'] }) });
    const id = created.body.data!.createJob.job.id;
    try {
      const bad = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, job_name: 'renamed', connector_config: { include: ['a'], max_delete_percent: 300 } });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/max_delete_percent/);
      const after = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${id}`);
      expect(after.body.job).toMatchObject({ job_name: 'settings', connector_config: { include: ['*.csv'], max_concurrency: 2 } });
      const good = await http(app, 'POST', '/api/v1/scheduler/update_job', {
        job_id: id,
        connector_config: { include: [], exclude: ['**/*.tmp'], bandwidth_limit: '20MiB', mirror_deletes: true, max_delete_percent: 10 },
      });
      expect(good.status).toBe(200);
      expect(good.body.job.connector_config).toEqual({
        bucket_name: 'my-bucket',
        prefix: '',
        exclude: ['**/*.tmp'],
        mirror_deletes: true,
        max_delete_percent: 10,
        max_concurrency: 2,
        bandwidth_limit: 20 * 1024 * 1024,
      });
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id });
    }
  });
});

describe('an update with unstorable text or a fractional percent changes nothing', () => {
  const UPDATE = `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { id } } }`;
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
    ['include ["a\\u0000b"]', { include: ['a\u0000b'] }, { include: ['a\u0000b'] }, /Invalid include, a pattern must not contain a NUL/],
    ['exclude ["\\ud800"]', { exclude: ['\ud800'] }, { exclude: ['\ud800'] }, /Invalid exclude, .*unpaired surrogate/],
    ['endpoint with a NUL', { endpoint: 'https://s3.example.com/\u0000' }, { endpoint_url: 'https://s3.example.com/\u0000' }, /Invalid endpoint \(endpoint_url\)/],
    ['maxDeletePercent 50.5', { maxDeletePercent: 50.5 }, { max_delete_percent: 50.5 }, FRACTIONAL_PERCENT],
  ];

  it.each(cases)('%s', async (_name, graphqlConfig, restConfig, message) => {
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, { input: input({ include: ['*.csv'], maxDeletePercent: 20 }) });
    const id = created.body.data!.createJob.job.id;
    try {
      const graphql = await gql(app, UPDATE, { id, input: { connectorConfig: graphqlConfig } });
      expect(graphql.status).toBe(200);
      expect(graphql.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } });
      const rest = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: restConfig });
      expect(rest.status).toBe(400);
      expect(rest.body.message).toMatch(message);
      const after = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${id}`);
      expect(after.body.job.connector_config).toEqual({ bucket_name: 'my-bucket', prefix: '', include: ['*.csv'], max_delete_percent: 20 });
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id });
    }
    expect(await countJobs(app)).toBe(0);
  });

  it('a whole maxDeletePercent is kept as given on both databases', async () => {
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', restBody({ max_delete_percent: 51 }));
    expect(created.status).toBe(200);
    try {
      const read = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${created.body.job_id}`);
      expect(read.body.job.connector_config.max_delete_percent).toBe(51);
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: created.body.job_id });
    }
  });
});

describe('credentials over REST', () => {
  it('are stored, shown only as has_credentials and the key id, replaced, and removed with aws_access_key_id: null', async () => {
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', restBody({ aws_access_key_id: 'AKIAREST0001', aws_secret_access_key: SECRET, aws_session_token: TOKEN }));
    expect(created.status).toBe(200);
    const id: string = created.body.job_id;
    try {
      const read = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${id}`);
      expect(read.body.job.connector_config).toEqual({ bucket_name: 'my-bucket', prefix: '', has_credentials: true, aws_access_key_id: 'AKIAREST0001' });
      const replaced = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: { aws_access_key_id: 'AKIAREST0002', aws_secret_access_key: 'another' } });
      expect(replaced.body.job.connector_config).toMatchObject({ has_credentials: true, aws_access_key_id: 'AKIAREST0002' });
      const halfBad = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: { aws_access_key_id: 'AKIAREST0003' } });
      expect(halfBad.status).toBe(400);
      expect(halfBad.body.message).toMatch(/aws_secret_access_key/);
      const removed = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: id, connector_config: { aws_access_key_id: null } });
      expect(removed.status).toBe(200);
      expect(removed.body.job.connector_config).toEqual({ bucket_name: 'my-bucket', prefix: '' });
      for (const response of [created, read, replaced, halfBad, removed]) {
        expect(response.text).not.toContain(SECRET);
        expect(response.text).not.toContain('another');
      }
    } finally {
      await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: id });
    }
  });
});

describe("GraphQL's own input errors never repeat a secret", () => {
  const credentialsCases: Array<[string, Record<string, unknown>]> = [
    ['a secretAccessKey of the wrong type', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 419_283_771 }],
    ['an unknown field beside the secret', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN, region: 'x' }],
    ['a missing accessKeyId beside the secret', { secretAccessKey: SECRET, sessionToken: TOKEN }],
    ['a sessionToken of the wrong type', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: { value: TOKEN } }],
    ['an accessKeyId of the wrong type', { accessKeyId: 7, secretAccessKey: SECRET, sessionToken: TOKEN }],
  ];

  it.each(credentialsCases)('%s (variables, HTTP and WebSocket)', async (_name, credentials) => {
    const variables = { input: input({ credentials }) };
    const response = await gql(app, CREATE, variables);
    const text = JSON.stringify(response.body);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    for (const secret of [SECRET, TOKEN, '419283771']) expect(text).not.toContain(secret);

    const client = wsClient(app.wsUrl);
    try {
      const ws = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: CREATE, variables }, { next: resolve, error: resolve, complete: () => resolve(null) });
      });
      const wsText = JSON.stringify(ws);
      expect(wsText).toMatch(/credentials|accessKeyId|secretAccessKey|sessionToken|region/);
      for (const secret of [SECRET, TOKEN, '419283771']) expect(wsText).not.toContain(secret);
    } finally {
      await client.dispose();
    }
    expect(await countJobs(app)).toBe(0);
  });

  it('a secret written as a literal of the wrong type', async () => {
    const response = await gql(
      app,
      `mutation { createJob(input: { name: "lit", connectorType: S3, schedule: "hourly", paused: true,
        connectorConfig: { bucketName: "my-bucket", credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: 8675309123, sessionToken: ["${TOKEN}"] } } }) { job { id } } }`,
    );
    const text = JSON.stringify(response.body);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(text).not.toContain('8675309123');
    expect(text).not.toContain(TOKEN);
    expect(text).toMatch(/\[redacted\]/);
  });
});
