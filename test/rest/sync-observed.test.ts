import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { metricValue as sample } from '../helpers/metrics.js';
import { sha256, sha256File } from '../helpers/files.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';

const CHUNK = 64 * 1024;

describe('a real sync seen through REST and /metrics', () => {
  it('lists the synced objects with the old wire shape and counts bytes, objects and runs', async () => {
    await using s3 = await startS3Server();
    const big = Buffer.alloc(3 * CHUNK + 100, 7);
    await s3.putObjects([
      ['data/small.txt', 'ten bytes!'],
      ['data/big.bin', big],
      ['data/empty.txt', ''],
      ['data/folder/', ''],
    ]);
    await using app = await startTestApp({ env: { ...s3.env, S3_CHUNK_SIZE: '64KiB', RETRY_COUNT: '0' } });

    const jobId = await createJobOverRest(app, { name: 'observed', schedule: 'hourly', bucket: s3.bucket, prefix: 'data/' });

    const metrics = await waitFor(async () => {
      const text = (await http(app, 'GET', '/metrics')).text;
      return sample(text, 'dss_sync_runs_finished_total', { status: 'SUCCEEDED' }) === 1 ? text : undefined;
    }, 15_000, 'the first run to finish');
    expect(sample(metrics, 'dss_sync_bytes_downloaded_total')).toBe(10 + big.length);
    expect(sample(metrics, 'dss_sync_objects_total', { result: 'done' })).toBe(2);
    expect(sample(metrics, 'dss_sync_objects_total', { result: 'skipped' })).toBe(2);
    expect(sample(metrics, 'dss_sync_objects_total', { result: 'failed' })).toBe(0);
    expect(sample(metrics, 'dss_sync_runs_in_progress')).toBe(0);

    const listed = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects?limit=10`);
    expect(listed.status).toBe(200);
    expect(listed.body.total_objects).toBe(4);
    const byKey = new Map(listed.body.objects.map((o: { object_key: string }) => [o.object_key, o]));
    const bigRow = byKey.get('data/big.bin') as Record<string, string>;
    expect(bigRow).toMatchObject({ object_size: String(big.length), last_position: String(big.length), status: 'PROCESSED' });
    expect(await sha256File(bigRow.local_full_path as string)).toBe(sha256(big));
    expect(byKey.get('data/folder/')).toMatchObject({ object_size: '0', status: 'SKIPPED' });
  });
});
