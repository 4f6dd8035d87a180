import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJobId } from '../../src/services/ids.js';
import { http, type HttpResult } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs, validJob } from './rest-env.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const RUNS = 60;
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

/** Every refusal is a 4xx JSON body with a readable message and no stack trace. */
function expectClearRefusal(res: HttpResult): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const message = (res.body as { message?: unknown; error?: unknown }).message ?? (res.body as { error?: unknown }).error;
  expect(typeof message).toBe('string');
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+/);
}

const notJobId = fc.string({ maxLength: 60 }).filter((s) => !isJobId(s));
const anyJson = fc.jsonValue({ maxDepth: 2 });
const nonObjectJson = anyJson.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v));

/** One field of a valid body replaced by a value that cannot be right for it, or removed. */
const brokenCreateBody = fc.oneof(
  fc.record({ job_name: fc.oneof(fc.string({ maxLength: 2 }), fc.string({ minLength: 26, maxLength: 40 }).filter((s) => s.trim().length > 25), fc.integer(), fc.constant(null)) }),
  fc.record({ connector_type: fc.oneof(fc.string().filter((s) => s.trim().toUpperCase() !== 'S3'), fc.boolean(), fc.array(fc.constant('S3'))) }),
  fc.record({ schedule: fc.oneof(fc.constantFrom('yearly', '', '* *', 'every day', '61 * * * *'), fc.integer(), fc.constant({})) }),
  fc.record({ connector_config: fc.oneof(nonObjectJson, fc.constant({}), fc.record({ prefix: fc.string() })) }),
  fc.record({ connector_config: fc.record({ bucket_name: fc.oneof(fc.constantFrom('', 'UPPER', 'a', 'has space'), fc.integer()) }) }),
).map((override) => validJob(override));
const missingKeyBody = fc
  .constantFrom('job_name', 'connector_type', 'schedule', 'connector_config')
  .map((key) => Object.fromEntries(Object.entries(validJob()).filter(([k]) => k !== key)));
const rawGarbage = fc.oneof(
  fc.string({ maxLength: 80 }).filter((s) => {
    try {
      const v: unknown = JSON.parse(s);
      return v === null || typeof v !== 'object' || Array.isArray(v);
    } catch {
      return true;
    }
  }),
  nonObjectJson.map((v) => JSON.stringify(v)),
);

describe('malformed input never creates a row and never breaks the server', () => {
  it('create_job', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(brokenCreateBody, missingKeyBody, rawGarbage), async (body) => {
        expectClearRefusal(await http(app, 'POST', '/api/v1/scheduler/create_job', body));
      }),
      { numRuns: RUNS },
    );
  });

  it('delete_job', async () => {
    const badBody = fc.oneof(
      notJobId.map((job_id) => ({ job_id })),
      anyJson.filter((v) => typeof v !== 'string').map((job_id) => ({ job_id })),
      rawGarbage,
    );
    await fc.assert(
      fc.asyncProperty(badBody, async (body) => {
        expectClearRefusal(await http(app, 'DELETE', '/api/v1/scheduler/delete_job', body));
      }),
      { numRuns: RUNS },
    );
  });

  it('list_jobs?job_id=', async () => {
    await fc.assert(
      fc.asyncProperty(notJobId, async (id) => {
        const res = await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${encodeURIComponent(id)}`);
        expectClearRefusal(res);
        expect(res.body).toEqual({ message: 'Invalid job ID' });
      }),
      { numRuns: RUNS },
    );
  });

  it('objects: bad ids and bad limit/offset', async () => {
    const badCount = fc.oneof(fc.integer({ max: -1 }).map(String), fc.integer({ min: 1001 }).map(String), fc.string().filter((s) => !/^\s*\d{1,15}\s*$/.test(s)));
    const request = fc.oneof(
      notJobId.filter((s) => s.trim() !== '' && !s.includes('/')).map((id) => ({ id, query: '', error: 'job_id must be a valid UUID string' })),
      fc.tuple(fc.constantFrom('limit', 'offset'), badCount).filter(([name, v]) => name === 'limit' || !/^\s*\d+\s*$/.test(v)).map(([name, value]) => ({
        id: UNKNOWN_JOB,
        query: `?${name}=${encodeURIComponent(value)}`,
        error: 'Invalid limit or offset',
      })),
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ id, query, error }) => {
        const res = await http(app, 'GET', `/api/v1/jobs/${encodeURIComponent(id)}/objects${query}`);
        expectClearRefusal(res);
        if (res.status === 400) expect(res.body).toEqual({ error });
      }),
      { numRuns: RUNS },
    );
  });

  it('objects: a job id of 3,000 characters is the same 400, not "no route"', async () => {
    for (const route of ['objects', 'runs']) {
      const res = await http(app, 'GET', `/api/v1/jobs/${'a'.repeat(3000)}/${route}`);
      expect([res.status, res.body]).toEqual([400, { error: 'job_id must be a valid UUID string' }]);
    }
  });

  it('the server still serves and no job was created', async () => {
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).body).toEqual({ jobs: [] });
    expect(await countJobs(app)).toBe(0);
  });
});
