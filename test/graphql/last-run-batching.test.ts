import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { RunStatus, RunTrigger } from '../../src/db/entities/statuses.js';
import { CreateJobDocument } from '../generated/graphql.js';
import { gql } from '../helpers/clients.js';
import { startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

const JOBS_WITH_LAST_RUN = `{ jobs(first: 10) { edges { node { name lastRun { status trigger } } } } }`;

describe('Job.lastRun over a page of jobs', () => {
  it('is loaded for the whole page in one batch, skipping SKIPPED ticks, null for a job that never ran', async () => {
    const ids: Record<string, string> = {};
    for (const name of ['with-runs', 'one-run', 'never-ran']) {
      const { body } = await gql(api, CreateJobDocument, { input: validInput({ name, paused: true }) as never });
      ids[name] = body.data!.createJob.job.id;
    }
    const em = api.app.orm.em.fork();
    const runs: Array<[string, RunStatus, RunTrigger]> = [
      ['with-runs', 'SUCCEEDED', 'CREATED'],
      ['with-runs', 'FAILED', 'SCHEDULE'],
      ['with-runs', 'SKIPPED', 'SCHEDULE'],
      ['one-run', 'CANCELLED', 'MANUAL'],
    ];
    for (const [name, status, trigger] of runs) em.persist(new SyncRun({ jobId: ids[name]!, status, trigger, startedAt: new Date() }));
    await em.flush();
    const batch = vi.spyOn(api.app.services.jobs, 'lastRuns');

    const { status, body } = await gql<{ jobs: { edges: Array<{ node: { name: string; lastRun: unknown } }> } }, Record<string, never>>(api, JOBS_WITH_LAST_RUN);

    expect(status).toBe(200);
    const byName = Object.fromEntries(body.data!.jobs.edges.map(({ node }) => [node.name, node.lastRun]));
    expect(byName).toEqual({
      'with-runs': { status: 'FAILED', trigger: 'SCHEDULE' },
      'one-run': { status: 'CANCELLED', trigger: 'MANUAL' },
      'never-ran': null,
    });
    expect(batch).toHaveBeenCalledTimes(1);
    expect([...batch.mock.calls[0]![0]].sort()).toEqual(Object.values(ids).sort());
    batch.mockRestore();
  });
});
