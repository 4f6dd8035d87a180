import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';
import { validJob } from './rest-env.js';

describe('stop()', () => {
  it('finishes an in-flight request, then refuses new connections and closes the database', async () => {
    await using app = await startTestApp();
    const body = Buffer.from(JSON.stringify(validJob({ job_name: 'in-flight' })));
    const arrived = new Promise<void>((resolve) => app.app.server.once('request', () => resolve()));

    const req = request(`${app.url}/api/v1/scheduler/create_job`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    });
    const response = new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      });
      req.on('error', reject);
    });
    // Half the body: the server has the request but cannot answer it yet.
    req.write(body.subarray(0, 10));
    await arrived;

    let stopped = false;
    const stopping = app.stop().then(() => (stopped = true));
    // The listener closes first: a new connection is refused while the old request is still open.
    await expect(http(app, 'GET', '/healthz')).rejects.toThrow();
    expect(stopped).toBe(false);

    req.end(body.subarray(10));
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.connection).toBe('close');
    const { job_id: jobId } = JSON.parse(answer.text) as { job_id: string };
    await stopping;
    expect(stopped).toBe(true);

    // The job the in-flight request created was committed before the database closed.
    const orm = await initOrm(app.config.dbUrl);
    try {
      expect(await orm.em.fork().count(Job, { id: jobId })).toBe(1);
    } finally {
      await orm.close();
    }
  });

  it('is idempotent', async () => {
    await using app = await startTestApp();
    await Promise.all([app.stop(), app.stop()]);
    await app.stop();
  });
});
