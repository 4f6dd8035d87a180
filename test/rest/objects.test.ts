import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { OBJECT_COUNT_BLOCK } from '../../src/db/object-count-block.js';
import { insertInterleavedObjects } from '../helpers/bulk-objects.js';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { RFC1123, validJob } from './rest-env.js';

let app: TestApp;
let jobId: string;
const objectsOf = (id: string, query = '') => `/api/v1/jobs/${id}/objects${query}`;

beforeAll(async () => {
  app = await startTestApp({ env: { DB_ROWS_RETRIEVAL_LIMIT: '2' } });
  const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ connector_config: { bucket_name: 'objects-bucket' } }));
  jobId = created.body.job_id;
  const em = app.orm.em.fork();
  em.persist([
    new SyncObject({ jobId, key: 'data/a.csv', size: 14149415, lastPosition: 14149415, status: 'PROCESSED', localPath: '/dl/a.csv' }),
    new SyncObject({ jobId, key: 'data/big.bin', size: 2 ** 53 - 1, lastPosition: 2 ** 40 + 3, status: 'PROCESSING' }),
    new SyncObject({ jobId, key: 'data/empty/', size: 0, status: 'SKIPPED' }),
    new SyncObject({ jobId, key: 'données/été ☀.txt', size: 5, status: 'PENDING' }),
  ]);
  await em.flush();
});
afterAll(async () => {
  await app.stop();
});

describe('GET /api/v1/jobs/<job_id>/objects', () => {
  it('pages with the default limit and the old wire shape', async () => {
    const res = await http(app, 'GET', objectsOf(jobId));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total_objects: 4, limit: 2, offset: 0 });
    expect(res.body.objects).toEqual([
      {
        id: expect.any(Number),
        job_id: jobId,
        object_key: 'data/a.csv',
        object_size: '14149415',
        last_position: '14149415',
        status: 'PROCESSED',
        local_full_path: '/dl/a.csv',
        created_at: expect.stringMatching(RFC1123),
        updated_at: expect.stringMatching(RFC1123),
      },
      expect.objectContaining({
        object_key: 'data/big.bin',
        object_size: '9007199254740991',
        last_position: '1099511627779',
        status: 'PROCESSING',
        local_full_path: '',
      }),
    ]);
    expect(Number.isInteger(res.body.objects[0].id)).toBe(true);
  });

  it('honours limit and offset, keeps Unicode keys intact', async () => {
    const res = await http(app, 'GET', objectsOf(jobId, '?limit=10&offset=2'));
    expect(res.body).toMatchObject({ total_objects: 4, limit: 10, offset: 2 });
    expect(res.body.objects.map((o: { object_key: string }) => o.object_key)).toEqual(['data/empty/', 'données/été ☀.txt']);
    expect(res.body.objects[0]).toMatchObject({ object_size: '0', last_position: '0', status: 'SKIPPED', local_full_path: '' });
  });

  it('accepts limit 0 and 1000, and an offset past the end', async () => {
    expect((await http(app, 'GET', objectsOf(jobId, '?limit=0'))).body).toMatchObject({ limit: 0, objects: [] });
    expect((await http(app, 'GET', objectsOf(jobId, '?limit=1000'))).body.objects).toHaveLength(4);
    expect((await http(app, 'GET', objectsOf(jobId, '?offset=99'))).body).toMatchObject({ total_objects: 4, offset: 99, objects: [] });
  });

  it('accepts the job id with surrounding whitespace', async () => {
    const res = await http(app, 'GET', objectsOf(encodeURIComponent(` ${jobId} `)));
    expect(res.status).toBe(200);
    expect(res.body.total_objects).toBe(4);
  });

  it.each(['not-a-uuid', '1234', `${'0'.repeat(8)}-0000-0000-0000-00000000000g`, 'x'.repeat(500)])('job id %j → 400', async (id) => {
    const res = await http(app, 'GET', objectsOf(id));
    expect(res).toMatchObject({ status: 400, body: { error: 'job_id must be a valid UUID string' } });
  });

  it('an unknown job → 404', async () => {
    const res = await http(app, 'GET', objectsOf('00000000-0000-4000-8000-000000000000'));
    expect(res).toMatchObject({ status: 404, body: { error: 'Job not found' } });
  });

  it.each([
    '?limit=-1',
    '?limit=abc',
    '?limit=1001',
    '?limit=1.5',
    '?limit=',
    '?limit=1e3',
    '?limit=+5', // `+` decodes to a space
    '?limit=%205',
    '?offset=+0',
    '?offset=-1',
    '?offset=x',
    '?offset=99999999999999999999',
    '?limit=10&offset=-5',
  ])('%s → 400 Invalid limit or offset', async (query) => {
    const res = await http(app, 'GET', objectsOf(jobId, query));
    expect(res).toMatchObject({ status: 400, body: { error: 'Invalid limit or offset' } });
  });
});

describe('GET /api/v1/jobs/<job_id>/objects deep pages', () => {
  it('a page past several id blocks of a job interleaved with another returns the rows at that offset', async () => {
    const create = async (bucket: string) => (await http(app, 'POST', '/api/v1/scheduler/create_job', validJob({ connector_config: { bucket_name: bucket } }))).body.job_id as string;
    const [deepJobId, otherJobId] = [await create('deep-bucket'), await create('other-bucket')];
    await insertInterleavedObjects(app.orm, { count: 3 * OBJECT_COUNT_BLOCK, jobId: deepJobId, otherJobId });
    const knex = app.orm.em.getKnex();
    const ids = ((await knex('sync_objects').where({ job_id: deepJobId }).orderBy('id').select('id', 'object_key')) as Array<{ id: string | number; object_key: string }>).map(
      (row) => ({ id: Number(row.id), object_key: row.object_key }),
    );
    // The job's first row in the third block: the page starts exactly at a block boundary, and one row before it.
    const boundary = ids.findIndex((row) => row.id >= 2 * OBJECT_COUNT_BLOCK);
    for (const offset of [boundary, boundary - 1, ids.length - 2]) {
      const res = await http(app, 'GET', objectsOf(deepJobId, `?limit=5&offset=${offset}`));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total_objects: ids.length, limit: 5, offset });
      expect(res.body.objects.map((o: { id: number; object_key: string }) => ({ id: o.id, object_key: o.object_key }))).toEqual(ids.slice(offset, offset + 5));
    }
    const pastEnd = await http(app, 'GET', objectsOf(deepJobId, `?limit=3&offset=${ids.length}`));
    expect(pastEnd.body).toMatchObject({ total_objects: ids.length, objects: [] });
  });
});
