import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlData } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { validInput } from './graphql-env.js';

// the per-request `lastRun` DataLoader caches across the serially executed fields of one
// mutation document, so a later field's `job.lastRun` shows the state from before its own mutation.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

describe('two mutations in one document', () => {
  it("triggerJob's job.lastRun is the run it just started, even after an earlier field read lastRun", async () => {
    const created = await gqlData(app, 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }', { input: validInput() });
    const id = created.createJob.job.id as string;
    const data = await gqlData(
      app,
      `mutation ($id: ID!) {
        a: updateJob(id: $id, input: {}) { job { lastRun { id } } }
        b: triggerJob(id: $id) { run { id } job { lastRun { id } } }
      }`,
      { id },
    );
    expect(data.a.job.lastRun).toBeNull();
    expect(data.b.job.lastRun).toEqual({ id: data.b.run.id });
  });
});
