import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { http } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { metricValue as sample } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { closeDatabaseUnderApi, startTestApp, type TestApp } from '../helpers/test-app.js';
import { validJob } from './rest-env.js';

describe('health and readiness', () => {
  it('/healthz is 200; /readyz is 200, then 503 once the database is gone', async () => {
    await using app = await startTestApp();
    expect(await http(app, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await http(app, 'GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    await closeDatabaseUnderApi(app);
    expect(await http(app, 'GET', '/readyz')).toMatchObject({ status: 503, body: { status: 'unavailable' } });
    expect((await http(app, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('unknown routes and methods', () => {
  let shared: TestApp;
  beforeAll(async () => {
    shared = await startTestApp();
  });
  afterAll(async () => {
    await shared.stop();
  });

  it.each([
    ['GET', '/nope', 404],
    ['GET', '/api/v1/scheduler/unknown', 404],
    ['GET', '/api/v1/jobs/x/objects/extra', 404],
    ['GET', '/api/v1/scheduler/create_job', 405],
    ['PUT', '/api/v1/scheduler/list_jobs', 405],
    ['POST', '/api/v1/scheduler/delete_job', 405],
    ['POST', '/healthz', 405],
  ])('%s %s → %i JSON', async (method, path, status) => {
    const res = await http(shared, method, path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.message).toEqual(expect.any(String));
    if (status === 405) expect(res.headers.get('allow')).toMatch(/^(GET|POST|DELETE)/);
  });

  it('a 405 on a GET route allows HEAD too; HEAD is answered there, /graphql included', async () => {
    const put = await http(shared, 'PUT', '/api/v1/scheduler/list_jobs');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${shared.url}/api/v1/scheduler/list_jobs`, { method: 'HEAD' })).status).toBe(200);
    const graphiql = await fetch(`${shared.url}/graphql`, { method: 'HEAD', headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    expect(graphiql.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it.each(['/api/v1/jobs/%ZZ/objects', '/api/v1/jobs/%E0%A4%A/objects', '/api/v1/scheduler/list_%jobs'])(
    'a malformed percent-escape in the path (%s) is a 400 JSON, not a 404',
    async (path) => {
      const res = await http(shared, 'GET', path);
      expect(res).toMatchObject({ status: 400, body: { message: 'Malformed percent-encoding in the URL path' } });
    },
  );
});

describe('a client that goes away mid-body', () => {
  it('is counted and logged as 499 (client closed request), with no error line', async () => {
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ logger });
    const { port } = new URL(app.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/v1/scheduler/create_job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"job_name":');
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const request = await waitFor(() => lines.find((line) => line.msg === 'request' && line.route === '/api/v1/scheduler/create_job'), 2_000, 'the request line');
    expect(request).toMatchObject({ method: 'POST', status: 499 });
    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    const metrics = await http(app, 'GET', '/metrics');
    expect(sample(metrics.text, 'http_requests_total', { method: 'POST', route: '/api/v1/scheduler/create_job', status: '499' })).toBe(1);
    expect(sample(metrics.text, 'http_requests_total', { method: 'POST', route: '/api/v1/scheduler/create_job', status: '200' })).toBeUndefined();
  });
});

describe('metrics', () => {
  it('counts requests by route pattern and status, and sync events from the bus', async () => {
    await using app = await startTestApp();
    await http(app, 'GET', '/healthz');
    await http(app, 'GET', '/healthz');
    await http(app, 'GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/objects');
    await http(app, 'GET', '/api/v1/jobs/not-a-uuid/objects');
    await http(app, 'GET', '/no/such/route');

    const chunk = 64 * 1024;
    const base = { jobId: '00000000-0000-4000-8000-000000000001', runId: '7', objectSize: 3 * chunk, status: null, at: new Date() };
    const events: SyncProgressEvent[] = [
      { ...base, kind: 'RUN_STARTED', objectKey: null, bytesTransferred: 0 },
      { ...base, kind: 'CHUNK', objectKey: 'a', bytesTransferred: chunk },
      { ...base, kind: 'CHUNK', objectKey: 'a', bytesTransferred: 3 * chunk },
      { ...base, kind: 'OBJECT_DONE', objectKey: 'a', bytesTransferred: 3 * chunk, status: 'PROCESSED' },
      { ...base, kind: 'OBJECT_SKIPPED', objectKey: 'b', bytesTransferred: 0, status: 'SKIPPED' },
      { ...base, kind: 'OBJECT_FAILED', objectKey: 'c', bytesTransferred: 0, status: 'FAILED' },
      { ...base, kind: 'RUN_FINISHED', objectKey: null, bytesTransferred: 3 * chunk, runStatus: 'FAILED' },
    ];
    for (const event of events) app.bus.publish(event);

    const res = await http(app, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = res.text;
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(2);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/v1/jobs/:job_id/objects', status: '404' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/api/v1/jobs/:job_id/objects', status: '400' })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="200"}');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(sample(text, 'dss_sync_bytes_downloaded_total')).toBe(3 * chunk);
    expect(sample(text, 'dss_sync_objects_total', { result: 'done' })).toBe(1);
    expect(sample(text, 'dss_sync_objects_total', { result: 'skipped' })).toBe(1);
    expect(sample(text, 'dss_sync_objects_total', { result: 'failed' })).toBe(1);
    expect(sample(text, 'dss_sync_runs_finished_total', { status: 'FAILED' })).toBe(1);
    expect(sample(text, 'dss_sync_runs_in_progress')).toBe(0);
  });

  it('counts a checkpoint that covers several chunks in full, and never counts bytes twice', async () => {
    await using app = await startTestApp();
    const chunk = 64 * 1024;
    const base = { jobId: '00000000-0000-4000-8000-000000000001', runId: '8', objectSize: 10 * chunk, status: null, at: new Date() };
    app.bus.publish({ ...base, kind: 'CHUNK', objectKey: 'r', bytesTransferred: 3 * chunk });
    app.bus.publish({ ...base, kind: 'CHUNK', objectKey: 'r', bytesTransferred: 2 * chunk });
    app.bus.publish({ ...base, kind: 'CHUNK', objectKey: 'r', bytesTransferred: 5 * chunk + 100 });
    app.bus.publish({ ...base, kind: 'CHUNK', objectKey: 's', bytesTransferred: 100 });
    const text = (await http(app, 'GET', '/metrics')).text;
    expect(sample(text, 'dss_sync_bytes_downloaded_total')).toBe(5 * chunk + 200);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with the route pattern, and never a token', async () => {
    const token = 'log-secret-token-0123456789';
    const { logger, lines, raw } = captureLogs();
    await using app = await startTestApp({ env: { API_TOKEN: token }, logger });
    const auth = { authorization: `Bearer ${token}` };
    const created = await http(app, 'POST', '/api/v1/scheduler/create_job', validJob(), auth);
    await http(app, 'GET', `/api/v1/jobs/${created.body.job_id}/objects?limit=5`, undefined, auth);
    await http(app, 'GET', '/api/v1/scheduler/list_jobs', undefined, { authorization: 'Bearer wrong-token-value-123' });
    await app.stop();

    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.method, l.route, l.status])).toEqual([
      ['POST', '/api/v1/scheduler/create_job', 200],
      ['GET', '/api/v1/jobs/:job_id/objects', 200],
      ['GET', '/api/v1/scheduler/list_jobs', 401],
    ]);
    for (const line of requests) expect(line.durationMs).toEqual(expect.any(Number));
    const all = raw.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain('wrong-token-value-123');
    expect(all).not.toContain(created.body.job_id + '/objects');
  });
});
