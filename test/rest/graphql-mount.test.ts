import { request } from 'node:http';
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

  it('refuses a chunked GraphQL body (no content-length) over 1 MiB with 413, as REST does', async () => {
    await using app = await startTestApp();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write('{"query":"{ __typename }');
      const chunk = Buffer.alloc(64 * 1024, ' ');
      let sent = 0;
      const pump = () => {
        while (sent++ < 32) if (!req.write(chunk)) return void req.once('drain', pump);
        req.end('"}');
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/too large/);
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
  });
});
