import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { listTree } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { gql, http, wsClient } from '../helpers/clients.js';
import { metricValue } from '../helpers/metrics.js';
import { listingXml } from '../sync/listing-xml.js';
import { runAfter, triggerAndWait } from './job-runs.js';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { id } } }`;
const PROGRESS = `subscription ($jobId: ID) { syncProgress(jobId: $jobId) { kind runId objectKey status } }`;

async function update(app: TestApp, id: string, connectorConfig: Record<string, unknown>) {
  const response = await gql(app, UPDATE, { id, input: { connectorConfig } });
  expect(response.body.errors).toBeUndefined();
}

async function rows(app: TestApp, jobId: string): Promise<Record<string, string>> {
  const found = await app.orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } });
  return Object.fromEntries(found.map((row) => [row.key, row.status]));
}

/** A job with mirror deletes and a 100% guard whose first run synced 150 keys, through a fault proxy. */
async function mirroredJobOf150Keys(name: string) {
  const s3 = await startS3Server();
  const keys = Array.from({ length: 150 }, (_, i) => `p/${String(i).padStart(3, '0')}.txt`);
  await s3.putObjects(keys.map((key) => [key, key] as [string, string]));
  const proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
  const app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, RETRY_COUNT: '0' } });
  const dispose = async () => {
    await app[Symbol.asyncDispose]();
    await proxy[Symbol.asyncDispose]();
    await s3[Symbol.asyncDispose]();
  };
  try {
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
      input: { name, connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: s3.bucket, prefix: 'p/', mirrorDeletes: true, maxDeletePercent: 100 } },
    });
    const jobId = created.body.data!.createJob.job.id;
    expect(await runAfter(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    const root = join(app.config.downloadRoot, jobId);
    expect((await listTree(join(root, 'p'))).length).toBe(150);
    return { s3, proxy, app, jobId, root, keys, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Every file of the job is in place, none in the trash, every row PROCESSED. */
async function expectNothingDeleted({ app, jobId, root }: { app: TestApp; jobId: string; root: string }) {
  expect((await listTree(join(root, 'p'))).length).toBe(150);
  expect(existsSync(join(root, '.dss-trash'))).toBe(false);
  expect(Object.values(await rows(app, jobId)).every((status) => status === 'PROCESSED')).toBe(true);
}

describe('include/exclude filters and mirror deletes on a real server', () => {
  it('filters what is synced, marks objects that stop matching EXCLUDED, moves removed files to the trash, and guards deletes', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['data/a.csv', 'a'],
      ['data/b.csv', 'b'],
      ['data/c.csv', 'c'],
      ['data/sub/d.csv', 'd'],
      ['data/notes.txt', 'n'],
      ['data/tmp/e.csv', 'e'],
    ]);
    await using receiver = await startWebhookReceiver();
    // Deliveries polled every 50 ms (1 s in the service): the DELETES_BLOCKED webhook is waited for below;
    // the engine thread is the built one, as the service's.
    await using app = await startTestApp({ env: { ...s3.env, RETRY_COUNT: '0', SYNC_THREAD: 'true' }, build: { webhookPollMs: 50 } });
    const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
      input: {
        name: 'filtered',
        connectorType: 'S3',
        schedule: 'hourly',
        connectorConfig: { bucketName: s3.bucket, prefix: 'data/', include: ['**/*.csv'], exclude: ['tmp/**'] },
        webhooks: [{ url: receiver.url, events: ['DELETES_BLOCKED'] }],
      },
    });
    const jobId = created.body.data!.createJob.job.id;
    const root = join(app.config.downloadRoot, jobId);
    expect(await runAfter(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await listTree(join(root, 'data'))).toEqual(['a.csv', 'b.csv', 'c.csv', 'sub/', 'sub/d.csv']);
    expect(await rows(app, jobId)).toEqual({ 'data/a.csv': 'PROCESSED', 'data/b.csv': 'PROCESSED', 'data/c.csv': 'PROCESSED', 'data/sub/d.csv': 'PROCESSED' });

    // b.csv stops matching: EXCLUDED, its file stays (mirror deletes are off).
    await update(app, jobId, { exclude: ['tmp/**', 'b.csv'] });
    expect(await triggerAndWait(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await rows(app, jobId))['data/b.csv']).toBe('EXCLUDED');
    expect(existsSync(join(root, 'data/b.csv'))).toBe(true);

    // Included again while its file is intact: back to PROCESSED without a GET.
    await update(app, jobId, { exclude: ['tmp/**'] });
    s3.resetCounts();
    expect(await triggerAndWait(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await rows(app, jobId))['data/b.csv']).toBe('PROCESSED');
    expect(s3.counts.gets).toBe(0);
    await update(app, jobId, { exclude: ['tmp/**', 'b.csv'] });
    expect(await triggerAndWait(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await rows(app, jobId))['data/b.csv']).toBe('EXCLUDED');

    // Mirror deletes on: b.csv (excluded) and c.csv (gone at the source) go to the run's trash, 2 of 4 files = 50%.
    await s3.deleteObject('data/c.csv');
    await update(app, jobId, { mirrorDeletes: true });
    const client = wsClient(app.wsUrl);
    const events: Array<{ kind: string; runId: string; objectKey: string | null; status: string | null }> = [];
    const unsubscribe = client.subscribe<{ syncProgress: (typeof events)[number] }>(
      { query: PROGRESS, variables: { jobId } },
      { next: (message) => void (message.data && events.push(message.data.syncProgress)), error: () => {}, complete: () => {} },
    );
    try {
      // A subscription becomes live asynchronously: publish a probe until it arrives.
      const probe = { kind: 'CHUNK' as const, jobId, runId: null, objectKey: 'probe', bytesTransferred: 0, objectSize: 0, status: null, at: new Date() };
      await waitFor(() => {
        app.bus.publish(probe);
        return events.some((e) => e.objectKey === 'probe') || undefined;
      }, 5_000, 'the subscription to be live');
      const mirrored = await triggerAndWait(app, jobId);
      expect(mirrored).toMatchObject({ status: 'SUCCEEDED', error: null });
      await waitFor(() => events.filter((e) => e.kind === 'OBJECT_DELETED').length === 2 || undefined, 5_000, 'two OBJECT_DELETED events');
      expect(
        events
          .filter((e) => e.kind === 'OBJECT_DELETED')
          .map((e) => [e.objectKey, e.status, e.runId])
          .sort(),
      ).toEqual([
        ['data/b.csv', 'DELETED', mirrored.id],
        ['data/c.csv', 'DELETED', mirrored.id],
      ]);
      const trash = join(root, '.dss-trash', mirrored.id);
      expect(await readFile(join(trash, 'data/b.csv'), 'utf8')).toBe('b');
      expect(await readFile(join(trash, 'data/c.csv'), 'utf8')).toBe('c');
      expect(await listTree(join(root, 'data'))).toEqual(['a.csv', 'sub/', 'sub/d.csv']);
      expect(await rows(app, jobId)).toMatchObject({ 'data/b.csv': 'DELETED', 'data/c.csv': 'DELETED', 'data/a.csv': 'PROCESSED' });
      // Counted per job as for the whole process.
      const metrics = (await http(app, 'GET', '/metrics')).text;
      expect([metricValue(metrics, 'dss_sync_objects_total', { result: 'deleted' }), metricValue(metrics, 'dss_job_objects_total', { job_id: jobId, result: 'deleted' })]).toEqual([2, 2]);
    } finally {
      unsubscribe();
      await client.dispose();
    }

    // b.csv included again after its file went to the trash: fetched anew.
    await update(app, jobId, { exclude: ['tmp/**'] });
    expect(await triggerAndWait(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await readFile(join(root, 'data/b.csv'), 'utf8')).toBe('b');
    expect((await rows(app, jobId))['data/b.csv']).toBe('PROCESSED');
    await update(app, jobId, { exclude: ['tmp/**', 'b.csv'] });
    expect(await triggerAndWait(app, jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await rows(app, jobId))['data/b.csv']).toBe('DELETED');

    // Removing 1 of 2 local files is 50%: over a 40% guard, nothing moves and the run fails saying so.
    await s3.deleteObject('data/a.csv');
    await update(app, jobId, { maxDeletePercent: 40 });
    const guarded = await triggerAndWait(app, jobId);
    expect(guarded.status).toBe('FAILED');
    expect(guarded.error).toBe(
      'mirror deletes blocked: would have removed 1 of 2 local files; that is 50% of them, over maxDeletePercent (40%); nothing was removed',
    );
    expect(existsSync(join(root, 'data/a.csv'))).toBe(true);
    expect((await rows(app, jobId))['data/a.csv']).toBe('PROCESSED');
    await waitFor(() => receiver.received.length === 1, 10_000, 'the DELETES_BLOCKED webhook');
    expect(receiver.received[0]!.json).toMatchObject({ event: 'DELETES_BLOCKED', runId: guarded.id, status: 'FAILED', error: guarded.error });

    // An empty listing never deletes, whatever the percentage allows.
    await update(app, jobId, { maxDeletePercent: 100 });
    for (const key of ['data/b.csv', 'data/sub/d.csv', 'data/notes.txt', 'data/tmp/e.csv']) await s3.deleteObject(key);
    const empty = await triggerAndWait(app, jobId);
    expect(empty.status).toBe('FAILED');
    expect(empty.error).toMatch(/^mirror deletes blocked: would have removed 2 of 2 local files; the source listing was empty/);
    expect(await listTree(join(root, 'data'))).toEqual(['a.csv', 'sub/', 'sub/d.csv']);
  });
});

/**
 * One job synced once for both tests (its first run is the costly part): each test's run fails its
 * listing and must delete nothing, so each starts by checking that nothing was deleted before it.
 */
describe('mirror deletes after a listing that fails, on a real server', () => {
  let mirrored: Awaited<ReturnType<typeof mirroredJobOf150Keys>>;
  beforeAll(async () => {
    mirrored = await mirroredJobOf150Keys('mirrored');
  });
  afterEach(() => mirrored?.proxy.setRule(undefined));
  afterAll(() => mirrored?.[Symbol.asyncDispose]());

  it('a listing cut short (its second page fails) deletes nothing, even with a 100% guard', async () => {
    await expectNothingDeleted(mirrored);
    const { proxy, app, jobId } = mirrored;
    // The first page (100 keys) comes back; the continuation fails: the 50 keys of page two look "gone".
    proxy.setRule((req) => (req.query.has('continuation-token') ? { kind: 'status', status: 403, code: 'AccessDenied' } : undefined));
    const cut = await triggerAndWait(app, jobId);
    expect(cut.status).toBe('FAILED');
    expect(cut.error).toMatch(/^listing failed/);
    await expectNothingDeleted(mirrored);
  });

  it('a listing page that says it is truncated but gives no continuation token fails the run and deletes nothing', async () => {
    await expectNothingDeleted(mirrored);
    const { s3, proxy, app, jobId, keys } = mirrored;
    // The first 100 keys, as a page that claims more follow but says nowhere where they start.
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const page = listingXml(s3.bucket, keys.slice(0, 100).map((key) => ({ key, etag: `"${md5(key)}"`, size: key.length })));
    const truncated = page.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>true</IsTruncated>');
    proxy.setRule((req) => (req.method === 'GET' && !req.key ? { kind: 'respond', status: 200, body: truncated } : undefined));
    const cut = await triggerAndWait(app, jobId);
    expect(cut.status).toBe('FAILED');
    expect(cut.error).toMatch(/^listing failed.*the listing says it is truncated but gives no continuation token/);
    await expectNothingDeleted(mirrored);
  });
});
