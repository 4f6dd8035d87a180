import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * README "Where the contract is silent": create_job "checks for missing keys first (job_name,
 * connector_type, schedule, connector_config, then bucket_name), then validates values in that
 * order and reports the first problem".
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

const body = (schedule: unknown, bucket: unknown) => ({
  job_name: 'nightly',
  connector_type: 'S3',
  schedule,
  paused: true,
  connector_config: { bucket_name: bucket, prefix: 'data/' },
});

describe('create_job reports the first bad value in the documented order', () => {
  it.each([
    ['a schedule that is neither a name nor a cron expression', 'every tuesday'],
    ['a cron expression with 4 fields', '0 3 * *'],
    ['a 5-field cron expression with an impossible value', '99 3 * * *'],
  ])('%s and a bad bucket name: the schedule is reported', async (_label, schedule) => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', body(schedule, 'Not_A_Bucket!'));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^Invalid schedule, supported one: \['quinqueminutely'/);
  });

  it('a bad schedule alone is still reported with the old message (control)', async () => {
    const res = await http(app, 'POST', '/api/v1/scheduler/create_job', body('every tuesday', 'good-bucket'));
    expect(res).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^Invalid schedule/) } });
  });
});
