import type { TestApp } from '../helpers/test-app.js';
import { Job } from '../../src/db/entities/job.entity.js';

export const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export const validJob = (overrides: Record<string, unknown> = {}) => ({
  job_name: 'nightly',
  connector_type: 'S3',
  schedule: 'hourly',
  connector_config: { bucket_name: 'my-bucket', prefix: 'data/' },
  ...overrides,
});

export const countJobs = (app: TestApp) => app.orm.em.fork().count(Job, {});
