import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startTestApp } from '../helpers/test-app.js';

const KEYS = 60_000;
/** A first page of 100 keys, then 1000 a page. */
const WHOLE_LISTING_PAGES = 1 + Math.ceil((KEYS - 100) / 1000);

/** A preview lists the job's whole prefix (one LIST per 1,000 keys): when its client goes away, no one will read the answer. */
describe('a preview whose client went away', () => {
  it.each(['REST', 'GraphQL'])('stops listing the source (%s)', async (api) => {
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: 'synth' });
    s3.faults.listDelayMs = 20; // 60 pages: over a second to list them all
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' } });
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'big',
      connector_type: 'S3',
      schedule: 'hourly',
      paused: true,
      connector_config: { bucket_name: 'synth', prefix: 'obj/' },
    });
    expect(created.status).toBe(200);
    const jobId = created.body.job_id as string;

    const client = new AbortController();
    const request =
      api === 'REST'
        ? fetch(`${app.url}/api/v1/scheduler/preview_sync?job_id=${jobId}`, { signal: client.signal })
        : fetch(`${app.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `{ previewSync(jobId: "${jobId}") { listedObjects } }` }),
            signal: client.signal,
          });
    await waitFor(() => s3.counts.lists >= 3, 10_000, 'the listing to start');
    client.abort();
    await request.catch(() => undefined);
    const listsAtAbort = s3.counts.lists;
    // The service is fine: a preview that is waited for lists everything. It lists at the abandoned
    // one's pace from further behind, so an abandoned listing that went on would finish meanwhile.
    const whole = await http(app, 'GET', `/api/v1/scheduler/preview_sync?job_id=${jobId}`);
    expect(whole.status).toBe(200);
    expect(whole.body.listed_objects).toBe(KEYS);
    expect(s3.counts.lists - listsAtAbort - WHOLE_LISTING_PAGES).toBeLessThanOrEqual(3);
  });
});
