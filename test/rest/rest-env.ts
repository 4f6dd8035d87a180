import type { TestApp } from '../helpers/test-app.js';
import { Job } from '../../src/db/entities/job.entity.js';

/**
 * Creating a job starts a sync run. REST tests don't need S3, so point it at a closed loopback
 * port with dummy credentials: the run fails fast and nothing leaves the machine.
 */
export const OFFLINE_S3_ENV: Record<string, string> = {
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: 'us-east-1',
  RETRY_COUNT: '0',
};
process.env.AWS_ACCESS_KEY_ID ??= 'offline';
process.env.AWS_SECRET_ACCESS_KEY ??= 'offline';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

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
