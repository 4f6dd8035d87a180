import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { fieldOr, hostileJson, leaksInternals } from '../helpers/hostile.js';
import { gql, type GqlResponse } from '../helpers/clients.js';
import { countJobs, startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

/**
 * The GraphQL-variables surface gets 1,000 generated inputs in all (issue 11: ≥ 1,000 per surface),
 * split over its three tests; one app for the file keeps it to seconds.
 */
const RUNS = { create: 400, mutations: 300, queries: 300 };

let api: GraphqlTestApp;
let jobId: string;
beforeAll(async () => {
  api = await startGraphqlApp();
  const created = await gql<{ createJob: { job: { id: string } } }, unknown>(
    api,
    'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }',
    { input: validInput({ name: 'target' }) },
  );
  jobId = created.body.data!.createJob.job.id;
});
afterAll(() => api.stop());

/** Never a 5xx, never an unexpected (masked) error, never an internal detail. */
function expectHandled(response: GqlResponse<unknown>): void {
  const text = JSON.stringify(response.body);
  expect([200, 400], text).toContain(response.status);
  expect(leaksInternals(text), text).toBe(false);
  for (const error of response.body.errors ?? []) {
    expect(error.message, text).not.toBe('Unexpected error.');
    expect(error.extensions?.code, text).not.toBe('INTERNAL_SERVER_ERROR');
  }
}

const snapshot = async () => {
  const job = await api.app.orm.em.fork().findOne(Job, { id: jobId });
  return job && { name: job.name, schedule: job.schedule, timezone: job.timezone, prefix: job.prefix, status: job.status };
};

const createInput = fc.record(
  {
    name: fieldOr(fc.string({ minLength: 3, maxLength: 25 })),
    connectorType: fieldOr(fc.constant('S3')),
    schedule: fieldOr(fc.constantFrom('hourly', '*/5 * * * *', '0 0 3 * * *')),
    timezone: fieldOr(fc.constantFrom('UTC', 'Europe/Paris', null)),
    paused: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: hostileJson }),
    connectorConfig: fc.oneof(
      { weight: 4, arbitrary: fc.record({ bucketName: fieldOr(fc.constant('bkt')), prefix: fieldOr(fc.string()) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: hostileJson },
    ),
  },
  { requiredKeys: [] },
);

describe('GraphQL: generated variables never make a 5xx, an unexpected error, or a stored change on error', () => {
  it(`createJob: ${RUNS.create} generated inputs`, async () => {
    const input = fc.oneof({ weight: 5, arbitrary: createInput }, { weight: 1, arbitrary: hostileJson });
    const before = await countJobs(api.app);
    let created = 0;
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        const response = await gql(api, 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id name } } }', { input: value });
        expectHandled(response);
        if (!response.body.errors) created += 1;
      }),
      // A key like `:0:0`, echoed in graphql-js's message, is not a stack frame's `line:column`.
      { numRuns: RUNS.create, examples: [[{ name: { ':0:0': 0 } }]] },
    );
    expect(await countJobs(api.app)).toBe(before + created);
  });

  it(`updateJob, pause, resume, delete, cancelRun: ${RUNS.mutations} generated variables`, async () => {
    const id = fc.oneof(fc.constant(null), hostileJson); // null: the target job
    const input = fc.oneof(
      fc.record({ name: hostileJson, schedule: hostileJson, timezone: hostileJson, prefix: hostileJson }, { requiredKeys: [] }),
      hostileJson,
    );
    const mutation = fc.constantFrom(
      'mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { id } } }',
      'mutation ($id: ID!) { pauseJob(id: $id) { job { id } } }',
      'mutation ($id: ID!) { resumeJob(id: $id) { job { id } } }',
      'mutation ($id: ID!) { deleteJob(id: $id) { deletedJobId } }',
      'mutation ($id: [ID!]!) { deleteJobs(ids: $id) { deletedJobIds } }',
      'mutation ($id: ID!) { cancelRun(jobId: $id) { job { id } } }',
    );
    // What is stored, refreshed after each success: a refusal must leave it exactly as it was.
    let jobs = await countJobs(api.app);
    let stored = await snapshot();
    await fc.assert(
      fc.asyncProperty(mutation, id, input, async (document, rawId, value) => {
        const destructive = document.includes('delete');
        // Deletes only ever name hostile ids, so the target job stays for the checks below.
        const target = rawId === null ? (destructive ? 'not-an-id' : jobId) : typeof rawId === 'string' && rawId.includes(jobId) ? 'x' : rawId;
        const response = await gql(api, document, { id: target, input: value });
        expectHandled(response);
        if (response.body.errors) {
          expect(await countJobs(api.app)).toBe(jobs);
          expect(await snapshot()).toEqual(stored);
        } else {
          [jobs, stored] = [await countJobs(api.app), await snapshot()];
        }
      }),
      { numRuns: RUNS.mutations },
    );
  });

  it(`jobs, job, objects, runs: ${RUNS.queries} generated arguments`, async () => {
    const query = fc.constantFrom(
      'query ($first: Int, $after: String, $status: JobStatus) { jobs(first: $first, after: $after, status: $status) { totalCount edges { cursor } } }',
      'query ($id: ID!) { job(id: $id) { id objects(first: 2) { totalCount } lastRun { id } } }',
      'query ($id: ID!, $first: Int, $after: String, $status: ObjectStatus) { objects(jobId: $id, first: $first, after: $after, status: $status) { totalCount } }',
      'query ($id: ID!, $first: Int, $after: String) { runs(jobId: $id, first: $first, after: $after) { totalCount } }',
    );
    const variables = fc.record(
      {
        id: fc.oneof(fc.constant(null), hostileJson),
        first: fieldOr(fc.integer({ min: 0, max: 1000 })),
        after: fc.oneof(hostileJson, fc.string().map((s) => Buffer.from(JSON.stringify([Date.now(), s])).toString('base64url'))),
        status: fieldOr(fc.constantFrom('SCHEDULED', 'PAUSED', 'FAILED', 'PROCESSED')),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(query, variables, async (document, { id, ...rest }) => {
        expectHandled(await gql(api, document, { id: id === null ? jobId : id, ...rest }));
      }),
      { numRuns: RUNS.queries },
    );
  });
});
