import type { EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const NAME = 'deleted while created';

/**
 * Another client deletes each job named NAME as soon as its row is committed, before its create
 * has scheduled it and started its first run: the window a real client listing the jobs may hit.
 */
function deleteEachNewJobOnceStored(app: TestApp, deletes: Array<{ status: number; body: unknown }>): void {
  const subscriber: EventSubscriber = {
    async afterFlush({ uow }: FlushEventArgs) {
      const created = uow.getChangeSets().filter((set) => set.type === 'create' && set.entity instanceof Job && set.entity.name === NAME);
      for (const { entity } of created) deletes.push(await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: (entity as Job).id }));
    },
  };
  app.orm.em.getEventManager().registerSubscriber(subscriber);
}

describe('create_job / createJob racing delete_job', () => {
  it('answers as created just before the delete (200, the job), never 500 / INTERNAL_SERVER_ERROR', async () => {
    await using app = await startTestApp();
    const deletes: Array<{ status: number; body: unknown }> = [];
    deleteEachNewJobOnceStored(app, deletes);

    const rest = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: NAME,
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'bucket-a', prefix: 'x/' },
    });
    const graphql = await http(app, 'POST', '/graphql', {
      query: 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id name status } } }',
      variables: { input: { name: NAME, connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a', prefix: 'x/' } } },
    });

    expect(deletes).toMatchObject([
      { status: 200, body: { message: 'Job deleted successfully' } },
      { status: 200, body: { message: 'Job deleted successfully' } },
    ]);
    expect(rest).toMatchObject({ status: 200, body: { job_id: expect.any(String), message: 'Job scheduled successfully' } });
    expect(graphql.body).toEqual({ data: { createJob: { job: { id: expect.any(String), name: NAME, status: 'SCHEDULED' } } } });
    expect(app.errorLines).toEqual([]);
    // The delete won: nothing of either job is left, and no run of it started.
    const em = app.orm.em.fork();
    expect([await em.count(Job, {}), await em.count(SyncRun, {})]).toEqual([0, 0]);
  });
});
