import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlData, http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { validInput } from './graphql-env.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  for (const name of ['first-job', 'second-job']) {
    await gqlData(app, 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }', { input: validInput({ name }) });
  }
});
afterAll(async () => {
  await app.stop();
});

describe('connection and update edge cases', () => {
  it('jobs(after: "") is the first page, so it has no previous page', async () => {
    const data = await gqlData(app, '{ jobs(first: 1, after: "") { edges { node { name } } pageInfo { hasPreviousPage } } }');
    expect(data.jobs.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['first-job']);
    expect(data.jobs.pageInfo.hasPreviousPage).toBe(false);
  });

  it('connectorConfig.prefix: null is refused naming the field (GraphQL and REST), the prefix kept', async () => {
    const created = await gqlData(app, 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id connectorConfig { prefix } } } }', {
      input: validInput({ name: 'prefix-null' }),
    });
    expect(created.createJob.job.connectorConfig.prefix).toBe('data/');
    const res = await gql(app, 'mutation ($id: ID!) { updateJob(id: $id, input: { connectorConfig: { prefix: null } }) { job { connectorConfig { prefix } } } }', {
      id: created.createJob.job.id,
    });
    // Null resets the other fields to their defaults; the prefix's ("") is the whole bucket: refused, not taken from a null.
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(/connectorConfig\.prefix/);
    const rest = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: created.createJob.job.id, connector_config: { prefix: null } });
    expect(rest.status).toBe(400);
    expect(rest.body.message).toMatch(/prefix/);
    const kept = await gqlData(app, 'query ($id: ID!) { job(id: $id) { connectorConfig { prefix } } }', { id: created.createJob.job.id });
    expect(kept.job.connectorConfig.prefix).toBe('data/');
  });
});
