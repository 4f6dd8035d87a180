import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { keyPrefixRange } from '../../src/services/key-prefix.js';
import { createObjectService } from '../../src/services/object-service.js';
import { gql, http } from '../helpers/clients.js';import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { onlyError, validInput } from './graphql-env.js';

let app: TestApp;
let jobId: string;
let runId: number;

/** Keys where a LIKE without escaping, a case-insensitive match or a UTF-16 range would go wrong. */
const KEYS = ['a%b/1', 'a%b/2', 'a_b/3', 'axb/4', 'A%b/5', 'a%', 'a%b', 'é/6', 'é😀/7', 'é😀/8', 'éz/9', 'b/10'];

beforeAll(async () => {
  app = await startTestApp();
  const created = await gql(app, 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }', { input: validInput() });
  jobId = (created.body.data as { createJob: { job: { id: string } } }).createJob.job.id;
  const em = app.orm.em.fork();
  const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'FAILED', objectsFailed: 3, error: '3 object(s) failed' });
  em.persist(run);
  await em.flush();
  runId = run.id;
  for (const [i, key] of KEYS.entries()) {
    const failed = i < 3;
    em.persist(new SyncObject({ jobId, key, size: i, status: failed ? 'FAILED' : 'PROCESSED', error: failed ? `boom ${key}` : null, runId }));
  }
  await em.flush();
});
afterAll(async () => {
  await app.stop();
});

const OBJECT_KEYS = `query ($jobId: ID!, $keyPrefix: String, $first: Int, $after: String, $status: ObjectStatus) {
  objects(jobId: $jobId, keyPrefix: $keyPrefix, first: $first, after: $after, status: $status) {
    totalCount edges { node { key } } pageInfo { hasNextPage endCursor }
  }
}`;

async function keysWithPrefix(keyPrefix: string | null, extra: Record<string, unknown> = {}) {
  const res = await gql(app, OBJECT_KEYS, { jobId, keyPrefix, ...extra });
  expect(res.body.errors).toBeUndefined();
  const page = (res.body.data as { objects: { totalCount: number; edges: Array<{ node: { key: string } }> } }).objects;
  return { total: page.totalCount, keys: page.edges.map((e) => e.node.key) };
}

describe('objects(keyPrefix:)', () => {
  it.each([
    ['a%b', ['a%b/1', 'a%b/2', 'a%b']],
    ['a_b', ['a_b/3']],
    ['a%', ['a%b/1', 'a%b/2', 'a%', 'a%b']],
    ['A', ['A%b/5']],
    ['é😀', ['é😀/7', 'é😀/8']],
    ['é', ['é/6', 'é😀/7', 'é😀/8', 'éz/9']],
    ['zzz', []],
  ])('prefix %j matches exactly its keys (% and _ are literal, case matters)', async (prefix, expected) => {
    const { total, keys } = await keysWithPrefix(prefix);
    expect(keys).toEqual(expected);
    expect(total).toBe(expected.length);
  });

  it.each([
    ['a%b', ['a%b/1', 'a%b/2', 'a%b']],
    ['a_', ['a_b/3']],
    ['é😀', ['é😀/7', 'é😀/8']],
    ['A', ['A%b/5']],
  ])('the exact substr test used where keys are not ordered bytewise (PostgreSQL) gives the same for %j', async (prefix, expected) => {
    const service = createObjectService({ orm: app.orm, defaultPageSize: 100, keyOrder: 'collation' });
    const page = await service.list(jobId, { keyPrefix: prefix });
    expect(page.nodes.map((o) => o.key)).toEqual(expected);
    expect(page.totalCount).toBe(expected.length);
    const offsetPage = await service.listByOffset(jobId, 10, 0, { keyPrefix: prefix });
    expect(offsetPage.nodes.map((o) => o.key)).toEqual(expected);
  });

  it('"" and null mean no filter; the prefix combines with status and pagination', async () => {
    expect((await keysWithPrefix('')).total).toBe(KEYS.length);
    expect((await keysWithPrefix(null)).total).toBe(KEYS.length);
    expect(await keysWithPrefix('a%b', { status: 'FAILED' })).toEqual({ total: 2, keys: ['a%b/1', 'a%b/2'] });
    const first = await gql(app, OBJECT_KEYS, { jobId, keyPrefix: 'a%', first: 2 });
    const page = (first.body.data as { objects: { pageInfo: { endCursor: string; hasNextPage: boolean } } }).objects.pageInfo;
    expect(page.hasNextPage).toBe(true);
    expect(await keysWithPrefix('a%', { first: 2, after: page.endCursor })).toEqual({ total: 4, keys: ['a%', 'a%b'] });
  });

  it('Job.objects takes the same filter', async () => {
    const res = await gql(app, 'query ($id: ID!) { job(id: $id) { objects(keyPrefix: "a_") { totalCount edges { node { key } } } } }', { id: jobId });
    expect(res.body.data).toEqual({ job: { objects: { totalCount: 1, edges: [{ node: { key: 'a_b/3' } }] } } });
  });

  it('a prefix with NUL or over 1024 bytes is BAD_USER_INPUT naming keyPrefix', async () => {
    for (const keyPrefix of ['a\u0000b', 'é'.repeat(513)]) {
      const res = await gql(app, OBJECT_KEYS, { jobId, keyPrefix });
      const error = onlyError(res.body);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'keyPrefix' });
      expect(error.message).toMatch(/^keyPrefix/);
    }
  });

  it('the range bound is the prefix with its last code point incremented', () => {
    expect(keyPrefixRange('a%')).toEqual({ gte: 'a%', lt: 'a&' });
    expect(keyPrefixRange('é😀')).toEqual({ gte: 'é😀', lt: 'é😁' });
    expect(keyPrefixRange('a\u{10ffff}')).toEqual({ gte: 'a\u{10ffff}', lt: 'b' });
    expect(keyPrefixRange('\u{d7ff}')).toEqual({ gte: '\u{d7ff}', lt: '\u{e000}' });
    expect(keyPrefixRange('\u{10ffff}')).toEqual({ gte: '\u{10ffff}', lt: null });
  });
});

describe('REST ?key_prefix=', () => {
  it('filters GET /api/v1/jobs/<id>/objects, % and _ literal', async () => {
    const res = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects?key_prefix=${encodeURIComponent('a%b/')}`);
    expect(res.status).toBe(200);
    expect(res.body.total_objects).toBe(2);
    expect(res.body.objects.map((o: { object_key: string }) => o.object_key)).toEqual(['a%b/1', 'a%b/2']);
    const underscore = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects?key_prefix=a_`);
    expect(underscore.body.objects.map((o: { object_key: string }) => o.object_key)).toEqual(['a_b/3']);
  });

  it('a bad prefix is 400 {"error"} naming key_prefix', async () => {
    const res = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects?key_prefix=${encodeURIComponent('x\u0000')}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'key_prefix must not contain a NUL character or an unpaired surrogate' });
  });
});

describe("a run's first errors and the REST runs route", () => {
  it('SyncRun.failures lists the failed objects of the run with their errors', async () => {
    const res = await gql(app, 'query ($jobId: ID!) { runs(jobId: $jobId) { edges { node { id failures(first: 2) { key error } } } } }', { jobId });
    expect(res.body.data).toEqual({
      runs: { edges: [{ node: { id: String(runId), failures: [{ key: 'a%b/1', error: 'boom a%b/1' }, { key: 'a%b/2', error: 'boom a%b/2' }] } }] },
    });
    const bad = await gql(app, 'query ($jobId: ID!) { runs(jobId: $jobId) { edges { node { failures(first: 21) { key } } } } }', { jobId });
    expect(onlyError(bad.body).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('GET /api/v1/jobs/<id>/runs lists runs newest first in the wire style', async () => {
    const res = await http(app, 'GET', `/api/v1/jobs/${jobId}/runs`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_runs: 1, limit: 100, offset: 0 });
    expect(res.body.runs[0]).toMatchObject({ run_id: runId, job_id: jobId, status: 'FAILED', objects_failed: 3, bytes_done: '0' });
    expect((await http(app, 'GET', `/api/v1/jobs/${jobId}/runs?limit=x`)).body).toEqual({ error: 'Invalid limit or offset' });
    expect((await http(app, 'GET', '/api/v1/jobs/nope/runs')).body).toEqual({ error: 'job_id must be a valid UUID string' });
  });
});
