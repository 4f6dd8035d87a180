import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_SCHEDULE_MESSAGE } from '../../src/scheduler/schedule.js';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { countJobs, RFC1123, UUID, validJob } from './rest-env.js';

const CREATE = '/api/v1/scheduler/create_job';
const LIST = '/api/v1/scheduler/list_jobs';
const DELETE = '/api/v1/scheduler/delete_job';
const NAME_MESSAGE = 'Invalid job name, must be between 3 and 25 characters';
const NAME_CONTROL_MESSAGE = 'Invalid job name, must not contain control characters (NUL, tab, line breaks, …) or unpaired surrogates';
const TYPE_MESSAGE = "Invalid connector type, supported one: ['S3']";
const CONFIG_MESSAGE = 'Invalid connector config, must be a non-empty dictionary';
const SCHEDULE_PREFIX =
  "Invalid schedule, supported one: ['quinqueminutely', 'decaminutely', 'half-hourly', 'hourly', 'daily', 'weekly', 'monthly']";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.stop();
});

describe('job routes: the happy path', () => {
  it('create → list → list one → objects → delete → 404', async () => {
    const created = await http(app, 'POST', CREATE, validJob());
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ job_id: expect.stringMatching(UUID), message: 'Job scheduled successfully' });
    const jobId: string = created.body.job_id;

    const list = await http(app, 'GET', LIST);
    expect(list.status).toBe(200);
    const listed = list.body.jobs.find((j: { job_id: string }) => j.job_id === jobId);
    expect(listed).toEqual({
      job_id: jobId,
      job_name: 'nightly',
      connector_type: 'S3',
      connector_config: { bucket_name: 'my-bucket', prefix: 'data/' },
      schedule: 'hourly',
      timezone: null,
      job_status: expect.stringMatching(/^(SCHEDULED|PENDING|RUNNING|FAILED)$/),
      next_run_at: expect.stringMatching(RFC1123),
      webhooks: [],
      created_at: expect.stringMatching(RFC1123),
      updated_at: expect.stringMatching(RFC1123),
    });

    const one = await http(app, 'GET', `${LIST}?job_id=${encodeURIComponent(` ${jobId} `)}`);
    expect(one.status).toBe(200);
    expect(one.body.job).toMatchObject({ job_id: jobId, job_name: 'nightly', connector_type: 'S3' });

    const objects = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects`);
    expect(objects.status).toBe(200);
    expect(objects.body).toEqual({ total_objects: 0, limit: 100, offset: 0, objects: [] });

    const deleted = await http(app, 'DELETE', DELETE, { job_id: `${jobId} ` });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ message: 'Job deleted successfully' });

    expect(await http(app, 'GET', `${LIST}?job_id=${jobId}`)).toMatchObject({ status: 404, body: { message: 'Job not found' } });
    expect(await http(app, 'DELETE', DELETE, { job_id: jobId })).toMatchObject({ status: 404, body: { message: 'Job not found' } });
    expect(await http(app, 'GET', `/api/v1/jobs/${jobId}/objects`)).toMatchObject({ status: 404, body: { error: 'Job not found' } });
  });

  it.each([
    ['a trimmed name of 3', { job_name: '   abc   ' }, { job_name: 'abc' }],
    ['a name of 25', { job_name: 'x'.repeat(25) }, { job_name: 'x'.repeat(25) }],
    ['a padded name of 25', { job_name: ` ${'y'.repeat(25)}\t` }, { job_name: 'y'.repeat(25) }],
    ['25 astral characters (50 UTF-16 units)', { job_name: '𝕻'.repeat(25) }, { job_name: '𝕻'.repeat(25) }],
    ['connector_type "s3"', { connector_type: 's3' }, { connector_type: 'S3' }],
    ['a named schedule in capitals', { schedule: 'Half-Hourly' }, {}],
    ['a cron schedule with a timezone', { schedule: '*/15 * * * *', timezone: 'Europe/Paris' }, { timezone: 'Europe/Paris' }],
    ['an empty timezone (none: UTC, as update_job reads it)', { schedule: '0 3 * * *', timezone: '' }, { timezone: null }],
    ['no prefix', { connector_config: { bucket_name: 'my-bucket' } }, { connector_config: { bucket_name: 'my-bucket', prefix: '' } }],
  ])('accepts %s', async (_label, overrides, expected) => {
    const created = await http(app, 'POST', CREATE, validJob(overrides));
    expect(created.status).toBe(200);
    const one = await http(app, 'GET', `${LIST}?job_id=${created.body.job_id}`);
    expect(one.body.job).toMatchObject(expected);
  });
});

describe('create_job refuses bad input with the old service messages', () => {
  const missing = (key: string) => {
    const body: Record<string, unknown> = validJob();
    delete body[key];
    return body;
  };
  const cases: Array<[string, unknown, number, string | RegExp]> = [
    ['a name of 2', validJob({ job_name: 'ab' }), 400, NAME_MESSAGE],
    ['a name of 26', validJob({ job_name: 'x'.repeat(26) }), 400, NAME_MESSAGE],
    ['26 astral characters', validJob({ job_name: '𝕻'.repeat(26) }), 400, NAME_MESSAGE],
    ['2 astral characters (4 UTF-16 units)', validJob({ job_name: '𝕻𝕻' }), 400, NAME_MESSAGE],
    ['a name of spaces', validJob({ job_name: '      ' }), 400, NAME_MESSAGE],
    ['a padded name of 2', validJob({ job_name: '  ab  ' }), 400, NAME_MESSAGE],
    ['a numeric name', validJob({ job_name: 12345 }), 400, NAME_MESSAGE],
    // SQLite cut the statement at the NUL (MikroORM 6 inlines values into the SQL text): a 500.
    ['a name with a NUL', validJob({ job_name: 'ab\u0000cd' }), 400, NAME_CONTROL_MESSAGE],
    ['a name with a line break', validJob({ job_name: 'two\nlines' }), 400, NAME_CONTROL_MESSAGE],
    ['a NUL in the schedule', validJob({ schedule: 'hourly\u0000' }), 400, INVALID_SCHEDULE_MESSAGE],
    ['a NUL in the prefix', validJob({ connector_config: { bucket_name: 'my-bucket', prefix: 'a\u0000' } }), 400, /prefix/i],
    ['connector_type GCS', validJob({ connector_type: 'GCS' }), 400, TYPE_MESSAGE],
    ['connector_type null', validJob({ connector_type: null }), 400, TYPE_MESSAGE],
    ['an unknown schedule', validJob({ schedule: 'fortnightly' }), 400, INVALID_SCHEDULE_MESSAGE],
    ['a bad cron', validJob({ schedule: '99 * * * *' }), 400, INVALID_SCHEDULE_MESSAGE],
    ['an empty schedule', validJob({ schedule: '' }), 400, INVALID_SCHEDULE_MESSAGE],
    ['an unknown timezone', validJob({ schedule: '0 3 * * *', timezone: 'Mars/Olympus' }), 400, /timezone/i],
    ['connector_config a string', validJob({ connector_config: 'my-bucket' }), 400, CONFIG_MESSAGE],
    ['connector_config an array', validJob({ connector_config: ['my-bucket'] }), 400, CONFIG_MESSAGE],
    ['connector_config empty', validJob({ connector_config: {} }), 400, CONFIG_MESSAGE],
    ['connector_config null', validJob({ connector_config: null }), 400, CONFIG_MESSAGE],
    ['no bucket_name', validJob({ connector_config: { prefix: 'x/' } }), 400, "Missing key: 'bucket_name'"],
    ['a bad bucket_name', validJob({ connector_config: { bucket_name: 'No Such Bucket!' } }), 400, /bucket name/i],
    ['a numeric prefix', validJob({ connector_config: { bucket_name: 'my-bucket', prefix: 7 } }), 400, /prefix/i],
    ['no job_name', missing('job_name'), 400, "Missing key: 'job_name'"],
    ['no connector_type', missing('connector_type'), 400, "Missing key: 'connector_type'"],
    ['no schedule', missing('schedule'), 400, "Missing key: 'schedule'"],
    ['no connector_config', missing('connector_config'), 400, "Missing key: 'connector_config'"],
    ['keys only on the prototype', '{"__proto__": {"job_name": "nightly"}}', 400, "Missing key: 'job_name'"],
    ['a non-JSON body', 'job_name=nightly', 400, 'Request body must be valid JSON'],
    ['truncated JSON', '{"job_name": "nightly"', 400, 'Request body must be valid JSON'],
    ['an empty body', '', 400, /must be a JSON object/],
    ['a JSON array', JSON.stringify([validJob()]), 400, 'Request body must be a JSON object'],
    ['a JSON string', '"nightly"', 400, 'Request body must be a JSON object'],
    ['JSON null', 'null', 400, 'Request body must be a JSON object'],
    ['a body over 1 MiB', validJob({ job_name: 'x'.repeat(1024 * 1024) }), 413, /too large/],
  ];
  it.each(cases)('%s', async (_label, body, status, message) => {
    const before = await countJobs(app);
    const res = await http(app, 'POST', CREATE, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    if (typeof message === 'string') expect(res.body).toEqual({ message });
    else expect(res.body.message).toMatch(message);
    expect(await countJobs(app)).toBe(before);
  });

  it('refuses bytes that are not UTF-8 (never stored as U+FFFD), and takes a byte-order mark', async () => {
    const before = await countJobs(app);
    const body = (name: string, prefix: string) => `{"job_name":"${name}","connector_type":"S3","schedule":"hourly","connector_config":{"bucket_name":"my-bucket","prefix":"${prefix}"}}`;
    // A name "ab\xff\xfe" and a prefix "p\xc3/" (a lead byte with nothing after it).
    const [beforeName, afterName] = body('@@', 'p/').split('@@') as [string, string];
    const [beforePrefix, afterPrefix] = body('abc', '@@').split('@@') as [string, string];
    for (const bytes of [
      Buffer.concat([Buffer.from(beforeName), Buffer.from([0x61, 0x62, 0xff, 0xfe]), Buffer.from(afterName)]),
      Buffer.concat([Buffer.from(beforePrefix), Buffer.from([0x70, 0xc3, 0x2f]), Buffer.from(afterPrefix)]),
    ]) {
      const res = await http(app, 'POST', CREATE, bytes);
      expect([res.status, res.body]).toEqual([400, { message: 'Request body must be valid JSON in UTF-8' }]);
    }
    expect(await countJobs(app)).toBe(before);
    const withMark = await http(app, 'POST', CREATE, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body('marked', 'p/'))]));
    expect(withMark.status).toBe(200);
    expect(await countJobs(app)).toBe(before + 1);
  });

  it('refuses a chunked body (no content-length) once it passes 1 MiB', async () => {
    const before = await countJobs(app);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${app.url}${CREATE}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, ' ');
      let sent = 0;
      const pump = () => {
        while (sent++ < 40) if (!req.write(chunk)) return void req.once('drain', pump);
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toEqual({ message: expect.stringMatching(/too large/) });
    expect(await countJobs(app)).toBe(before);
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
  });

  it('keeps the exact list of named schedules in the message', async () => {
    const res = await http(app, 'POST', CREATE, validJob({ schedule: 'yearly' }));
    expect(res.body.message.startsWith(SCHEDULE_PREFIX)).toBe(true);
  });
});

describe('list_jobs and delete_job ids', () => {
  it.each([
    ['not-a-uuid'],
    ['12345678-1234-1234-1234-12345678901'],
    [''],
  ])('list_jobs?job_id=%j → 400 Invalid job ID', async (id) => {
    const res = await http(app, 'GET', `${LIST}?job_id=${encodeURIComponent(id)}`);
    expect(res).toMatchObject({ status: 400, body: { message: 'Invalid job ID' } });
  });

  it('an unknown uuid → 404', async () => {
    const res = await http(app, 'GET', `${LIST}?job_id=00000000-0000-4000-8000-000000000000`);
    expect(res).toMatchObject({ status: 404, body: { message: 'Job not found' } });
  });

  it.each([
    [{ job_id: 'nope' }, 400, 'Invalid job ID'],
    [{ job_id: 42 }, 400, 'Invalid job ID'],
    [{ job_id: null }, 400, 'Invalid job ID'],
    [{}, 400, "Missing key: 'job_id'"],
    [{ job_id: '00000000-0000-4000-8000-000000000000' }, 404, 'Job not found'],
  ])('delete_job %j → %i', async (body, status, message) => {
    const res = await http(app, 'DELETE', DELETE, body);
    expect(res).toMatchObject({ status, body: { message } });
  });

  it('delete_job with a non-JSON body → 400', async () => {
    const res = await http(app, 'DELETE', DELETE, 'job_id=1');
    expect(res).toMatchObject({ status: 400, body: { message: 'Request body must be valid JSON' } });
  });
});
