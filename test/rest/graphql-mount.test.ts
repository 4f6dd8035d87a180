import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';
import { validJob } from './rest-env.js';

describe('GraphQL shares the port with REST', () => {
  it('sees a job created over REST, and its requests are counted in /metrics', async () => {
    await using app = await startTestApp();
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ job_name: 'via-rest' }));
    const res = await http(app, 'POST', '/graphql', { query: 'query ($id: ID!) { job(id: $id) { id name connectorConfig { bucketName prefix } } }', variables: { id: created.body.job_id } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { job: { id: created.body.job_id, name: 'via-rest', connectorConfig: { bucketName: 'my-bucket', prefix: 'data/' } } } });
    const metrics = (await http(app, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/graphql",status="200"\} 1/);
  });

  it('refuses a GraphQL body declared over 1 MiB with 413', async () => {
    await using app = await startTestApp();
    const res = await http(app, 'POST', '/graphql', { query: `{ __typename }${' '.repeat(1024 * 1024)}` });
    expect(res.status).toBe(413);
  });
});
