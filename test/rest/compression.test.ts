import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest as get } from '../helpers/raw-http.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('HTTP responses are compressed when the client accepts it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    for (let i = 0; i < 30; i += 1) {
      await app.services.jobs.create({
        name: `job-${i}`, connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: 'bkt', prefix: `p/${i}/` },
      });
    }
  });
  afterAll(() => app.stop());

  it("GraphiQL's page: br for browsers, several times smaller, the same page", async () => {
    const html = { accept: 'text/html' };
    const plain = await get(app, '/graphql', html);
    const br = await get(app, '/graphql', { ...html, 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.encoding).toBeUndefined();
    expect(br.encoding).toBe('br');
    expect(br.vary).toMatch(/accept-encoding/i);
    expect(br.text).toBe(plain.text);
    expect(plain.bytes.length).toBeGreaterThan(1_000_000);
    expect(br.bytes.length).toBeLessThan(plain.bytes.length / 3);
  });

  it('REST JSON above 1 KiB is gzipped for a gzip-only client; small bodies and clients without Accept-Encoding get identity', async () => {
    const plain = await get(app, '/api/v1/scheduler/list_jobs', {});
    const gzip = await get(app, '/api/v1/scheduler/list_jobs', { 'accept-encoding': 'gzip' });
    expect(plain.encoding).toBeUndefined();
    expect(gzip.encoding).toBe('gzip');
    expect(JSON.parse(gzip.text)).toEqual(JSON.parse(plain.text));
    expect(JSON.parse(gzip.text).jobs).toHaveLength(30);
    const small = await get(app, '/healthz', { 'accept-encoding': 'gzip, br' });
    expect(small.encoding).toBeUndefined();
    expect(JSON.parse(small.text)).toEqual({ status: 'ok' });
  });

  it('GraphQL results above 1 KiB are compressed too', async () => {
    const body = JSON.stringify({ query: '{ jobs(first: 30) { edges { node { id name schedule connectorConfig { prefix } } } } }' });
    const res = await get(app, '/graphql', { 'content-type': 'application/json', 'accept-encoding': 'br' }, 'POST', body);
    expect(res.status).toBe(200);
    expect(res.encoding).toBe('br');
    expect(JSON.parse(res.text).data.jobs.edges).toHaveLength(30);
  });
});
