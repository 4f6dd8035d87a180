import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gql as postGql } from '../helpers/clients.js';
import { startAppWithFakeExecutor } from '../scheduler/api-app.js';
import { waitFor } from '../helpers/poll.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
type Gql = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** The response body only: these tests assert data and errors, not statuses. */
const gql = async (app: { graphqlUrl: string }, query: string, variables: Record<string, unknown> = {}): Promise<Gql> =>
  (await postGql<Gql['data'], Record<string, unknown>>(app, query, variables)).body as Gql;

const JOB = 'job { id name schedule timezone status nextRunAt connectorConfig { prefix } }';
const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { ${JOB} } }`;
const PAUSE = `mutation($id: ID!) { pauseJob(id: $id) { ${JOB} } }`;
const RESUME = `mutation($id: ID!) { resumeJob(id: $id) { ${JOB} } }`;
const TRIGGER = `mutation($id: ID!) { triggerJob(id: $id) { ${JOB} run { id status trigger } } }`;
const CANCEL = `mutation($jobId: ID!) { cancelRun(jobId: $jobId) { ${JOB} run { id status } } }`;
const DELETE = `mutation($ids: [ID!]!) { deleteJobs(ids: $ids) { deletedJobIds unknownJobIds } }`;
const RUNS = `query($jobId: ID!) { runs(jobId: $jobId) { totalCount edges { node { status trigger error } } } job(id: $jobId) { status lastRun { status } } }`;

async function createJob(app: { graphqlUrl: string }, paused = false): Promise<string> {
  const res = await gql(app, CREATE, {
    input: { name: 'nightly', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'bucket-a' }, paused },
  });
  return res.data!.createJob.job.id;
}

const code = (res: Gql) => [res.errors?.[0]?.extensions?.code, res.errors?.[0]?.message];

describe('GraphQL job lifecycle', () => {
  it('updateJob registers the new schedule; bad cron, timezone, name and ids are refused', async () => {
    await using app = await startAppWithFakeExecutor();
    const id = await createJob(app);
    const ok = await gql(app, UPDATE, { id, input: { name: 'renamed', schedule: '*/15 * * * *', timezone: 'Asia/Tokyo', prefix: 'p/' } });
    expect(ok.data?.updateJob.job).toMatchObject({ name: 'renamed', schedule: '*/15 * * * *', timezone: 'Asia/Tokyo', connectorConfig: { prefix: 'p/' } });
    expect(new Date(ok.data?.updateJob.job.nextRunAt).getUTCMinutes() % 15).toBe(0);

    expect(code(await gql(app, UPDATE, { id, input: { schedule: '* * 31 2 *' } }))).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^schedule: Invalid schedule/)]);
    expect(code(await gql(app, UPDATE, { id, input: { timezone: 'Nowhere/City' } }))).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^timezone: /)]);
    expect(code(await gql(app, UPDATE, { id, input: { name: 'no' } }))).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^name: Invalid job name/)]);
    expect(code(await gql(app, UPDATE, { id: 'bad', input: {} }))).toEqual(['BAD_USER_INPUT', 'id: Invalid job ID']);
    expect(code(await gql(app, UPDATE, { id: randomUUID(), input: {} }))).toEqual(['NOT_FOUND', 'Job not found']);
    // Clearing the timezone goes back to UTC.
    const cleared = await gql(app, UPDATE, { id, input: { timezone: null } });
    expect(cleared.data?.updateJob.job.timezone).toBeNull();
  });

  it('pause cancels the run, resume, trigger (run and SKIPPED), cancelRun, and the run history', async () => {
    await using app = await startAppWithFakeExecutor();
    const id = await createJob(app);
    await waitFor(() => app.fake.calls.length === 1);

    const paused = await gql(app, PAUSE, { id });
    expect(paused.data?.pauseJob.job).toMatchObject({ status: 'PAUSED', nextRunAt: null });
    expect(app.fake.calls[0]!.signal.aborted).toBe(true);
    expect(code(await gql(app, PAUSE, { id }))).toEqual(['CONFLICT', 'Job is already paused']);

    const resumed = await gql(app, RESUME, { id });
    expect(resumed.data?.resumeJob.job.status).toBe('SCHEDULED');
    expect(resumed.data?.resumeJob.job.nextRunAt).toEqual(expect.any(String));
    expect(code(await gql(app, RESUME, { id }))).toEqual(['CONFLICT', 'Job is not paused']);

    const run = await gql(app, TRIGGER, { id });
    expect(run.data?.triggerJob).toMatchObject({ job: { status: 'RUNNING' }, run: { status: 'RUNNING', trigger: 'MANUAL' } });
    const skipped = await gql(app, TRIGGER, { id });
    expect(skipped.data?.triggerJob.run).toMatchObject({ status: 'SKIPPED', trigger: 'MANUAL' });

    const cancelled = await gql(app, CANCEL, { jobId: id });
    expect(cancelled.data?.cancelRun).toMatchObject({ job: { status: 'CANCELLED' }, run: { id: run.data?.triggerJob.run.id, status: 'CANCELLED' } });
    expect(code(await gql(app, CANCEL, { jobId: id }))).toEqual(['CONFLICT', 'Job has no run in progress']);

    const history = await gql(app, RUNS, { jobId: id });
    expect(history.data?.runs.totalCount).toBe(3);
    expect(history.data?.runs.edges.map((e: { node: { status: string; trigger: string } }) => [e.node.trigger, e.node.status])).toEqual([
      ['MANUAL', 'SKIPPED'],
      ['MANUAL', 'CANCELLED'],
      ['CREATED', 'CANCELLED'],
    ]);
    expect(history.data?.job).toEqual({ status: 'CANCELLED', lastRun: { status: 'CANCELLED' } });

    for (const doc of [PAUSE, RESUME, TRIGGER]) {
      expect(code(await gql(app, doc, { id: 'x' }))).toEqual(['BAD_USER_INPUT', 'id: Invalid job ID']);
      expect(code(await gql(app, doc, { id: randomUUID() }))[0]).toBe('NOT_FOUND');
    }
    expect(code(await gql(app, CANCEL, { jobId: 'x' }))).toEqual(['BAD_USER_INPUT', 'jobId: Invalid job ID']);
  });

  it('deleteJobs deletes nothing when one id is malformed, cancels running syncs, reports unknown ids', async () => {
    await using app = await startAppWithFakeExecutor();
    const a = await createJob(app);
    const b = await createJob(app, true);
    const unknown = randomUUID();
    const bad = await gql(app, DELETE, { ids: [a, 'nope'] });
    expect(code(bad)).toEqual(['BAD_USER_INPUT', expect.stringContaining('Invalid job ID')]);
    expect(bad.errors?.[0]?.extensions?.field).toBe('ids.1');
    expect((await gql(app, `{ jobs { totalCount } }`)).data?.jobs.totalCount).toBe(2);

    const res = await gql(app, DELETE, { ids: [a, b, unknown] });
    expect(res.data?.deleteJobs).toEqual({ deletedJobIds: [a, b], unknownJobIds: [unknown] });
    expect(app.fake.calls[0]!.signal.aborted).toBe(true);
    expect((await gql(app, `{ jobs { totalCount } }`)).data?.jobs.totalCount).toBe(0);
  });
});
