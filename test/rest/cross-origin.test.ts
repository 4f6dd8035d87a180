import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const ALLOWED = 'https://dashboard.example.com';
const CREATE = '/api/v1/scheduler/create_job';
const jobBody = (name: string) =>
  JSON.stringify({ job_name: name, connector_type: 'S3', schedule: 'hourly', paused: true, connector_config: { bucket_name: 'bkt' } });
const mutation = (name: string) =>
  `mutation { createJob(input: {name: "${name}", connectorType: S3, schedule: "hourly", connectorConfig: {bucketName: "bkt"}}) { job { id } } }`;

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request as curl sends it: exactly these headers (no Origin, no Content-Type unless given). */
function raw(app: TestApp, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest(`${app.url}${path}`, { method, headers: { ...length, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a graphql-ws socket with `origin` (none when undefined): the ack, or the refused upgrade's status. */
function upgrade(app: TestApp, origin?: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(app.wsUrl, 'graphql-transport-ws', origin ? { origin } : {});
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
    ws.on('message', (data: Buffer) => {
      resolve(JSON.parse(data.toString()).type as string);
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(`refused ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

const jobNames = async (app: TestApp) => (await app.services.jobs.listAll()).map((job) => job.name).sort();

describe('cross-origin requests and media types at the HTTP edge (curl-like clients)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { CORS_ORIGINS: ALLOWED } });
  });
  afterAll(() => app.stop());

  it('a client without Origin (curl, scripts) works with a JSON body; other media types are 415 naming what was sent', async () => {
    expect((await raw(app, 'POST', CREATE, { 'content-type': 'application/json; charset=utf-8' }, jobBody('curl-json'))).status).toBe(200);
    const refused = [
      await raw(app, 'POST', CREATE, { 'content-type': 'text/plain' }, jobBody('as-text')),
      await raw(app, 'POST', CREATE, { 'content-type': 'application/x-www-form-urlencoded' }, jobBody('as-form')),
      await raw(app, 'POST', CREATE, {}, jobBody('no-type')),
      await raw(app, 'DELETE', '/api/v1/scheduler/delete_job', { 'content-type': 'text/plain' }, '{"job_id":"x"}'),
    ];
    expect(refused.map((r) => [r.status, JSON.parse(r.body)])).toEqual([
      [415, { message: 'Content-Type must be application/json (got text/plain)' }],
      [415, { message: 'Content-Type must be application/json (got application/x-www-form-urlencoded)' }],
      [415, { message: 'Content-Type must be application/json (got none)' }],
      [415, { message: 'Content-Type must be application/json (got text/plain)' }],
    ]);
    // A DELETE without a body still gets the route's own answer.
    expect(await raw(app, 'DELETE', '/api/v1/scheduler/delete_job')).toMatchObject({ status: 400 });
    expect(await jobNames(app)).toEqual(['curl-json']);
  });

  it('/graphql executes JSON and application/graphql bodies and refuses form, multipart and text/plain with a GraphQL-shaped 415', async () => {
    const ok = [
      await raw(app, 'POST', '/graphql', { 'content-type': 'application/json' }, JSON.stringify({ query: mutation('gql-json') })),
      await raw(app, 'POST', '/graphql', { 'content-type': 'application/graphql+json' }, JSON.stringify({ query: mutation('gql-graphql-json') })),
      await raw(app, 'POST', '/graphql', { 'content-type': 'application/graphql' }, mutation('gql-graphql')),
    ];
    expect(ok.map((r) => [r.status, JSON.parse(r.body).errors])).toEqual([[200, undefined], [200, undefined], [200, undefined]]);
    const query = encodeURIComponent(mutation('gql-form'));
    const refused = [
      await raw(app, 'POST', '/graphql', { 'content-type': 'text/plain' }, JSON.stringify({ query: mutation('gql-text') })),
      await raw(app, 'POST', '/graphql', { 'content-type': 'application/x-www-form-urlencoded' }, `query=${query}`),
      await raw(app, 'POST', '/graphql', { 'content-type': 'multipart/form-data; boundary=x' }, `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--`),
    ];
    for (const r of refused) {
      expect(r.status).toBe(415);
      expect(JSON.parse(r.body).errors[0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(await jobNames(app)).toEqual(expect.arrayContaining(['gql-json', 'gql-graphql-json', 'gql-graphql']));
    expect(await jobNames(app)).not.toContain('gql-text');
    expect(await jobNames(app)).not.toContain('gql-form');
  });

  it('a foreign Origin is 403 on every route, preflights included, with no CORS headers; "null" too', async () => {
    const before = await jobNames(app);
    const json = { 'content-type': 'application/json' };
    const answers = [
      await raw(app, 'POST', CREATE, { ...json, origin: 'http://evil.example' }, jobBody('from-evil')),
      await raw(app, 'POST', '/graphql', { ...json, origin: 'http://evil.example' }, JSON.stringify({ query: mutation('from-evil2') })),
      await raw(app, 'GET', '/api/v1/scheduler/list_jobs', { origin: 'http://127.0.0.1:1' }),
      await raw(app, 'POST', CREATE, { ...json, origin: 'null' }, jobBody('from-null')),
      await raw(app, 'OPTIONS', CREATE, { origin: 'http://evil.example', 'access-control-request-method': 'POST' }),
      await raw(app, 'OPTIONS', '/graphql', { origin: `${ALLOWED}.evil.example`, 'access-control-request-method': 'POST' }),
    ];
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    for (const r of answers) expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(answers[0]!.body).message).toMatch(/^Origin http:\/\/evil\.example is not allowed: .*CORS_ORIGINS/);
    expect(JSON.parse(answers[1]!.body).errors[0].extensions.code).toBe('FORBIDDEN_ORIGIN');
    expect(await jobNames(app)).toEqual(before);
  });

  it("the service's own origin works without CORS headers", async () => {
    const host = new URL(app.url).host;
    const same = await raw(app, 'POST', CREATE, { 'content-type': 'application/json', origin: `http://${host}` }, jobBody('same-origin'));
    expect(same.status).toBe(200);
    expect(same.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an origin in CORS_ORIGINS gets a preflight and its own origin back, never credentials', async () => {
    const preflight = await raw(app, 'OPTIONS', CREATE, {
      origin: ALLOWED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-headers': 'authorization, content-type, accept',
      vary: expect.stringMatching(/^Origin\b/),
    });
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const post = await raw(app, 'POST', CREATE, { 'content-type': 'application/json', origin: ALLOWED }, jobBody('from-dashboard'));
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(post.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('WebSocket upgrades: no Origin, the own origin and a listed origin connect; any other origin is refused with 403', async () => {
    const host = new URL(app.url).host;
    expect(await upgrade(app)).toBe('connection_ack');
    expect(await upgrade(app, `http://${host}`)).toBe('connection_ack');
    expect(await upgrade(app, ALLOWED)).toBe('connection_ack');
    expect(await upgrade(app, 'http://evil.example')).toBe('refused 403');
    expect(await upgrade(app, 'null')).toBe('refused 403');
  });
});
