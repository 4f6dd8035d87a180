import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { validJob } from './rest-env.js';

const TOKEN = 'test-token-0123456789abcdef';
const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

const PROTECTED: Array<[string, string, unknown]> = [
  ['POST', '/api/v1/scheduler/create_job', validJob()],
  ['GET', '/api/v1/scheduler/list_jobs', undefined],
  ['DELETE', '/api/v1/scheduler/delete_job', { job_id: UNKNOWN_JOB }],
  ['GET', `/api/v1/jobs/${UNKNOWN_JOB}/objects`, undefined],
  ['GET', '/metrics', undefined],
];

describe('with API_TOKEN set', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await app.stop();
  });

  it.each(PROTECTED)('%s %s → 401 without a token, with a wrong one, or with another scheme', async (method, path, body) => {
    const variants: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: 'Bearer ' }, { authorization: `Basic ${TOKEN}` }, { authorization: TOKEN }];
    for (const headers of variants) {
      const res = await http(app, method, path, body, headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ message: 'Unauthorized' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.text).not.toContain(TOKEN);
    }
  });

  it('refuses before reading the body', async () => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', 'not json');
    expect(res).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('serves with the right token, and creates nothing without it', async () => {
    const anonymous = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob());
    expect(anonymous.status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ job_name: 'with-token' }), auth);
    expect(created.status).toBe(200);
    const list = await http(app, 'GET', '/api/v1/scheduler/list_jobs', undefined, { authorization: `bearer  ${TOKEN}` });
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j: { job_name: string }) => j.job_name)).toEqual(['with-token']);
    expect((await http(app, 'GET', `/api/v1/jobs/${created.body.job_id}/objects`, undefined, auth)).status).toBe(200);
    expect((await http(app, 'GET', '/metrics', undefined, auth)).status).toBe(200);
  });

  it('keeps /healthz and /readyz open', async () => {
    expect(await http(app, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await http(app, 'GET', '/readyz')).status).toBe(200);
  });
});

describe('without API_TOKEN', () => {
  it('serves every route without a header', async () => {
    await using app = await startTestApp();
    for (const [method, path, body] of PROTECTED) {
      const res = await http(app, method, path, body);
      expect(res.status, `${method} ${path}`).not.toBe(401);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
  });
});
