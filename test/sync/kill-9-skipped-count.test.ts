import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startCli } from './sync-cli.js';
import { startSyncFixture } from './sync-fixture.js';

/**
 * A first run of a job, killed (kill -9) while its first listing page is still being queued: the
 * objects of that page it already downloaded and committed PROCESSED are not yet marked as listed
 * by the run (the mark comes with the whole page). Resumed, the run lists that page again and, not
 * finding them marked, takes them for unchanged objects of an earlier run: `objects_skipped` counts
 * objects this very run downloaded, on a job that never synced before (README: "A page re-listed
 * across the crash … is recognised by its mark and counted once").
 */
describe('kill -9 in the middle of a listing page, then run again', () => {
  test('the resumed first run reports no skipped object: every object was downloaded by it', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'latency', ms: 40 } : undefined));
    const objects = Array.from({ length: 200 }, (_, i): [string, string] => [`k/${String(i).padStart(4, '0')}.txt`, `object ${i}`]);
    await f.s3.putObjects(objects, 16);

    const first = startCli(f, proxy.endpoint);
    // Some objects committed, while the page they came from is not yet recorded.
    await waitFor(async () => {
      const done = await f.orm.em.fork().count(SyncObject, { jobId: f.jobId, status: 'PROCESSED' });
      return done >= 60 ? done : undefined;
    }, 30_000, '60 objects committed');
    first.child.kill('SIGKILL');
    await first.exit;
    const unmarked = await f.orm.em.fork().count(SyncObject, { jobId: f.jobId, status: 'PROCESSED', listedRunId: null });
    // The case at hand: objects committed before their page was marked.
    expect(unmarked).toBeGreaterThan(0);

    proxy.setRule(() => undefined);
    const second = startCli(f, proxy.endpoint);
    const done = await second.exit;
    expect(done.code, done.stderr).toBe(0);
    const summary = JSON.parse(done.stdout) as { objectsTotal: number; objectsDone: number; objectsSkipped: number; bytesTotal: number; bytesDone: number };
    // Every row was written by this one run (run_id), none existed before it.
    const rows = await f.rows();
    expect(rows.length).toBe(200);
    expect(new Set(rows.map((r) => r.runId)).size).toBe(1);
    // Counted once each: the objects the killed process finished are neither lost nor counted twice.
    const bytes = objects.reduce((sum, [, body]) => sum + Buffer.byteLength(body), 0);
    expect(summary).toMatchObject({ objectsTotal: 200, objectsDone: 200, bytesTotal: bytes, bytesDone: bytes });
    expect(summary.objectsSkipped).toBe(0);
  }, 90_000);
});
