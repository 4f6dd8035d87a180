import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { validJob } from './rest-env.js';

const LIST = '/api/v1/scheduler/list_jobs';
let app: TestApp;
const names = ['job-a', 'job-b', 'job-c', 'job-d', 'job-e'];
beforeAll(async () => {
  app = await startTestApp();
  for (const job_name of names) {
    expect((await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ job_name, paused: true }))).status).toBe(200);
  }
});
afterAll(() => app.stop());

const namesOf = (body: { jobs: Array<{ job_name: string }> }) => body.jobs.map((job) => job.job_name);

describe('list_jobs pages with limit and offset', () => {
  it('without them: every job in the old shape, nothing added', async () => {
    const res = await http(app, 'GET', LIST);
    expect(Object.keys(res.body)).toEqual(['jobs']);
    expect(namesOf(res.body).sort()).toEqual(names);
  });

  it('with them: a page of the same order (oldest first), framed like the objects route', async () => {
    // Jobs created in the same millisecond are ordered by id: compare pages with the full listing.
    const all = namesOf((await http(app, 'GET', LIST)).body);
    const first = await http(app, 'GET', `${LIST}?limit=2`);
    expect(first.status).toBe(200);
    expect({ ...first.body, jobs: namesOf(first.body) }).toEqual({ total_jobs: 5, limit: 2, offset: 0, jobs: all.slice(0, 2) });
    const next = await http(app, 'GET', `${LIST}?limit=2&offset=2`);
    expect(namesOf(next.body)).toEqual(all.slice(2, 4));
    const rest = await http(app, 'GET', `${LIST}?offset=3`);
    expect({ ...rest.body, jobs: namesOf(rest.body) }).toEqual({ total_jobs: 5, limit: 100, offset: 3, jobs: all.slice(3) });
    expect((await http(app, 'GET', `${LIST}?limit=0`)).body).toEqual({ total_jobs: 5, limit: 0, offset: 0, jobs: [] });
    expect((await http(app, 'GET', `${LIST}?offset=99`)).body).toEqual({ total_jobs: 5, limit: 100, offset: 99, jobs: [] });
    expect(first.body.jobs[0]).toMatchObject({ job_id: expect.any(String), job_status: 'PAUSED' });
  });

  it.each(['?limit=-1', '?limit=abc', '?limit=1001', '?limit=1e3', '?limit=+5', '?limit=', '?offset=-1', '?offset=1.5', '?limit=2&offset=x'])(
    '%s → 400 Invalid limit or offset',
    async (query) => {
      expect(await http(app, 'GET', `${LIST}${query}`)).toMatchObject({ status: 400, body: { message: 'Invalid limit or offset' } });
    },
  );

  it('job_id wins over paging', async () => {
    const { body } = await http(app, 'GET', LIST);
    const one = await http(app, 'GET', `${LIST}?job_id=${body.jobs[1].job_id}&limit=abc`);
    expect(one.status).toBe(200);
    expect(one.body.job.job_name).toBe(body.jobs[1].job_name);
  });
});
