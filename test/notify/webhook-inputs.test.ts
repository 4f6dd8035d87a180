import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { gql, http } from '../helpers/clients.js';import { startTestApp } from '../helpers/test-app.js';
import { onlyError } from '../graphql/graphql-env.js';
import { validJob } from '../rest/rest-env.js';

const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { webhooks { url events } } } }`;

const input = (webhooks: unknown) => ({
  name: 'nightly',
  connectorType: 'S3',
  schedule: 'hourly',
  connectorConfig: { bucketName: 'my-bucket' },
  paused: true,
  webhooks,
});

const BAD: Array<[string, unknown, string, RegExp]> = [
  ['ftp scheme', [{ url: 'ftp://hooks.example.com/x' }], 'webhooks[0].url', /http or https/],
  ['javascript scheme', [{ url: 'javascript:alert(1)' }], 'webhooks[0].url', /http or https/],
  ['relative URL', [{ url: '/hooks' }], 'webhooks[0].url', /absolute http\(s\) URL/],
  ['credentials', [{ url: 'https://ok.example.com/' }, { url: 'https://user:pw@hooks.example.com/x' }], 'webhooks[1].url', /credentials/],
  ['too long', [{ url: `https://hooks.example.com/${'a'.repeat(2100)}` }], 'webhooks[0].url', /at most 2048/],
  ['empty url', [{ url: '  ' }], 'webhooks[0].url', /required/],
  ['unknown event', [{ url: 'https://hooks.example.com/', events: ['RUN_FAILED', 'RUN_EXPLODED'] }], 'webhooks[0].events[1]', /one of/],
  ['no events', [{ url: 'https://hooks.example.com/', events: [] }], 'webhooks[0].events', /non-empty/],
  ['too many', Array.from({ length: 11 }, (_, i) => ({ url: `https://hooks.example.com/${i}` })), 'webhooks', /at most 10/],
];

describe('webhook URLs and events are validated in both APIs; nothing is stored', () => {
  it.each(BAD)('REST create_job refuses %s', async (_case, webhooks, field, message) => {
    await using app = await startTestApp();
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ webhooks, paused: true }));
    expect(res.status).toBe(400);
    expect(res.body.message.startsWith(field)).toBe(true);
    expect(res.body.message).toMatch(message);
    expect(await app.orm.em.fork().count(Job, {})).toBe(0);
  });

  it.each(BAD.filter(([name]) => name !== 'unknown event'))('GraphQL createJob refuses %s', async (_case, webhooks, field, message) => {
    await using app = await startTestApp();
    const { body } = await gql(app, CREATE, { input: input(webhooks) });
    const error = onlyError(body);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(error.message).toMatch(message);
    expect(await app.orm.em.fork().count(Job, {})).toBe(0);
  });

  it('GraphQL refuses an unknown event before anything runs', async () => {
    await using app = await startTestApp();
    const { body } = await gql(app, CREATE, { input: input([{ url: 'https://hooks.example.com/', events: ['RUN_EXPLODED'] }]) });
    expect(onlyError(body).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await app.orm.em.fork().count(Job, {})).toBe(0);
  });

  it('update replaces the list, [] removes it, a bad list changes nothing (both APIs)', async () => {
    await using app = await startTestApp();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url: 'https://a.example.com/h' }] }));
    expect(created.status).toBe(200);
    const jobId = created.body.job_id as string;
    const readHooks = async () => (await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${jobId}`)).body.job.webhooks;
    expect(await readHooks()).toEqual([{ url: 'https://a.example.com/h', events: ['RUN_FAILED'] }]);

    const bad = await http(app, 'POST', '/api/v1/scheduler/update_job', { job_id: jobId, job_name: 'renamed', webhooks: [{ url: 'http://x@b.example.com' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^webhooks\[0\]\.url must not contain credentials/);
    expect((await http(app, 'GET', `/api/v1/scheduler/list_jobs?job_id=${jobId}`)).body.job.job_name).toBe('nightly');

    const updated = await http(app, 'POST', '/api/v1/scheduler/update_job', {
      job_id: jobId,
      webhooks: [{ url: 'https://b.example.com/h', events: ['run_succeeded', 'DELETES_BLOCKED'] }],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.job.webhooks).toEqual([{ url: 'https://b.example.com/h', events: ['RUN_SUCCEEDED', 'DELETES_BLOCKED'] }]);

    const kept = await gql<{ updateJob: { job: { webhooks: unknown } } }, unknown>(app, UPDATE, { id: jobId, input: { name: 'again' } });
    expect(kept.body.data?.updateJob.job.webhooks).toEqual([{ url: 'https://b.example.com/h', events: ['RUN_SUCCEEDED', 'DELETES_BLOCKED'] }]);
    const badGql = await gql(app, UPDATE, { id: jobId, input: { webhooks: [{ url: 'gopher://b.example.com' }] } });
    expect(onlyError(badGql.body).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'webhooks[0].url' });
    const cleared = await gql<{ updateJob: { job: { webhooks: unknown } } }, unknown>(app, UPDATE, { id: jobId, input: { webhooks: [] } });
    expect(cleared.body.data?.updateJob.job.webhooks).toEqual([]);
    expect(await readHooks()).toEqual([]);
  });

  it('WEBHOOK_ALLOWED_HOSTS restricts targets', async () => {
    await using app = await startTestApp({ env: { WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com,*.internal.example.com' } });
    const refused = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url: 'https://evil.example.net/x' }] }));
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('webhooks[0].url host evil.example.net is not in WEBHOOK_ALLOWED_HOSTS');
    const { body } = await gql(app, CREATE, { input: input([{ url: 'http://internal.example.com/' }]) });
    expect(onlyError(body).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'webhooks[0].url' });
    expect(await app.orm.em.fork().count(Job, {})).toBe(0);

    for (const url of ['https://HOOKS.example.com/a', 'https://ci.internal.example.com:8443/b']) {
      const ok = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true, webhooks: [{ url }] }));
      expect(ok.status).toBe(200);
    }
  });

  it('the deliveries route follows the objects route for ids, paging and unknown jobs', async () => {
    await using app = await startTestApp();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ paused: true }));
    const jobId = created.body.job_id as string;
    expect((await http(app, 'GET', `/api/v1/jobs/${jobId}/deliveries`)).body).toEqual({ total_deliveries: 0, limit: 100, offset: 0, deliveries: [] });
    expect(await http(app, 'GET', '/api/v1/jobs/nope/deliveries')).toMatchObject({ status: 400, body: { error: 'job_id must be a valid UUID string' } });
    expect(await http(app, 'GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/deliveries')).toMatchObject({ status: 404, body: { error: 'Job not found' } });
    for (const query of ['limit=-1', 'offset=x', 'limit=1001']) {
      expect(await http(app, 'GET', `/api/v1/jobs/${jobId}/deliveries?${query}`)).toMatchObject({ status: 400, body: { error: 'Invalid limit or offset' } });
    }
  });
});
