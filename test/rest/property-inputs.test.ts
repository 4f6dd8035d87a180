import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { http, type HttpResult } from '../helpers/clients.js';
import { encodeOrSkip, fieldOr, hostileJson, hostileText, leaksInternals } from '../helpers/hostile.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs } from './rest-env.js';

/**
 * ≥ 1,000 generated inputs per surface (issue 11): bodies (split over create and the lifecycle
 * routes) and query strings. One app for the file keeps it to seconds.
 */
const RUNS = { create: 500, lifecycle: 500, query: 1000 };

let app: TestApp;
let jobId: string;
beforeAll(async () => {
  app = await startTestApp();
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
    job_name: 'target', connector_type: 'S3', schedule: 'hourly', paused: true, connector_config: { bucket_name: 'bkt' },
  });
  jobId = created.body.job_id;
});
afterAll(() => app.stop());

/** Never a 5xx, never an internal detail; a refusal is JSON with a readable message or error. */
function expectHandled(res: HttpResult): void {
  expect(res.status, `${res.text}\n${app.errorLines.join('\n')}`).toBeLessThan(500);
  expect(leaksInternals(res.text), res.text).toBe(false);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = res.body as { message?: unknown; error?: unknown };
    expect(typeof (body.message ?? body.error)).toBe('string');
  }
}

/** The stored job as the API reads it: what a refused request must leave untouched. */
const snapshot = async (id: string) => {
  const job = await app.orm.em.fork().findOne(Job, { id });
  return job && { name: job.name, schedule: job.schedule, timezone: job.timezone, prefix: job.prefix, bucket: job.bucketName };
};

const createBody = fc.record(
  {
    job_name: fieldOr(fc.string({ minLength: 3, maxLength: 25 })),
    connector_type: fieldOr(fc.constantFrom('S3', 's3', ' S3 ')),
    schedule: fieldOr(fc.constantFrom('hourly', 'DAILY', '*/5 * * * *', '0 0 3 * * *')),
    timezone: fieldOr(fc.constantFrom('UTC', 'Europe/Paris', null)),
    paused: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: hostileJson }),
    connector_config: fc.oneof(
      { weight: 4, arbitrary: fc.record({ bucket_name: fieldOr(fc.constantFrom('bkt', 'my.bucket-1')), prefix: fieldOr(fc.string()) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: hostileJson },
    ),
  },
  { requiredKeys: [] },
);

describe('REST: generated bodies and query strings never make a 5xx or store anything on error', () => {
  it(`create_job: ${RUNS.create} generated bodies (JSON objects and raw text)`, async () => {
    const body = fc.oneof({ weight: 4, arbitrary: createBody }, { weight: 1, arbitrary: hostileText });
    let created = 0;
    const before = await countJobs(app);
    await fc.assert(
      fc.asyncProperty(body, async (sent) => {
        const res = await http(app, 'POST', '/api/v1/scheduler/create_job', sent);
        expectHandled(res);
        if (res.status === 200) created += 1;
      }),
      { numRuns: RUNS.create },
    );
    // Each 200 stored exactly one job; every refusal stored none.
    expect(await countJobs(app)).toBe(before + created);
  });

  it(`update_job, pause, resume, trigger, cancel, delete: ${RUNS.lifecycle} generated bodies`, async () => {
    const id = fc.oneof(fc.constant(() => jobId), fc.constant(() => ` ${jobId}\n`), hostileJson.map((v) => () => v));
    const route = fc.constantFrom('update_job', 'pause_job', 'resume_job', 'trigger_job', 'cancel_run', 'delete_job', 'delete_jobs');
    const extra = fc.record(
      { job_name: hostileJson, schedule: hostileJson, timezone: hostileJson, connector_config: fc.oneof(hostileJson, fc.record({ prefix: hostileJson })) },
      { requiredKeys: [] },
    );
    // What is stored, refreshed after each success: a refusal must leave it exactly as it was.
    let jobs = await countJobs(app);
    let stored = await snapshot(jobId);
    await fc.assert(
      fc.asyncProperty(route, id, extra, async (name, idOf, fields) => {
        // Deletes and triggers only ever name hostile ids: the target job must stay for the checks
        // below, and a real run per case would make the test slow.
        const neverTarget = ['delete_job', 'delete_jobs', 'trigger_job'].includes(name);
        const target = neverTarget && typeof idOf() === 'string' && String(idOf()).includes(jobId) ? 'not-a-job' : idOf();
        const body = name === 'delete_jobs' ? { job_ids: [target] } : { job_id: target, ...fields };
        const res = await http(app, name === 'delete_job' ? 'DELETE' : 'POST', `/api/v1/scheduler/${name}`, body);
        expectHandled(res);
        if (res.status >= 400) {
          expect(await countJobs(app)).toBe(jobs);
          expect(await snapshot(jobId)).toEqual(stored);
        } else {
          [jobs, stored] = [await countJobs(app), await snapshot(jobId)];
        }
      }),
      { numRuns: RUNS.lifecycle },
    );
  });

  it(`list_jobs and objects: ${RUNS.query} generated query strings and path ids`, async () => {
    const query = fc.oneof(
      hostileText.map((v) => ({ path: '/api/v1/scheduler/list_jobs', query: `job_id=${encodeOrSkip(v) ?? '%00'}` })),
      fc.tuple(fc.oneof(fc.constant(null), hostileText), hostileText, hostileText, fc.boolean()).map(([id, limit, offset, raw]) => ({
        path: `/api/v1/jobs/${id === null ? '<job>' : (encodeOrSkip(id) ?? 'x')}/objects`,
        // Raw: the characters as a careless client types them (`+`, `%`, `&`), not percent-encoded.
        query: raw ? `limit=${limit.replace(/[#\s]/g, '')}&offset=${offset.replace(/[#\s]/g, '')}` : `limit=${encodeOrSkip(limit) ?? ''}&offset=${encodeOrSkip(offset) ?? ''}`,
      })),
    );
    await fc.assert(
      fc.asyncProperty(query, async ({ path, query: q }) => {
        const res = await http(app, 'GET', `${path.replace('<job>', jobId)}?${q}`);
        expectHandled(res);
      }),
      { numRuns: RUNS.query },
    );
  });

  it('still serves afterwards, and the target job is intact', async () => {
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
    expect((await snapshot(jobId))?.bucket).toBe('bkt');
  });
});
