import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { http, wsClient } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const TOKEN = 'review-token-0123456789abcdef';

/** Every surface that holds data answers 401 without the token (README, Authentication). */
describe('API_TOKEN coverage sweep', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const q = encodeURIComponent('{ jobs(first: 1) { totalCount } }');
  test.each([
    ['HEAD', '/metrics'],
    ['GET', '/metrics/'],
    ['GET', `/graphql?query=${q}`],
    ['HEAD', `/graphql?query=${q}`],
    ['GET', `/graphql/?query=${q}`],
    ['GET', '/api/v1/scheduler/list_jobs/'],
    ['HEAD', '/api/v1/scheduler/list_jobs'],
    ['GET', '/api/v1/scheduler/upcoming_runs?job_id=00000000-0000-4000-8000-000000000000'],
    ['GET', '/api/v1/scheduler/preview_sync?job_id=00000000-0000-4000-8000-000000000000'],
    ['GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/runs'],
    ['GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/deliveries'],
  ])('%s %s without a token is 401', async (method, path) => {
    const res = await http(app, method, path, undefined, { accept: 'application/json' });
    expect(res.status).toBe(401);
  });

  test('GET /graphql with a query, asked as a browser would (Accept: text/html), executes nothing', async () => {
    const res = await http(app, 'GET', `/graphql?query=${q}`, undefined, { accept: 'text/html' });
    // The GraphiQL page (no data) or a refusal; never a JSON result.
    expect(res.body === undefined || res.status === 401, `status ${res.status}`).toBe(true);
    expect(/"totalCount"\s*:\s*\d/.test(res.text)).toBe(false);
  });

  test('WebSocket: connection_init without a token closes 4401; a wrong token too', async () => {
    for (const connectionParams of [undefined, { authorization: `Bearer ${TOKEN}x` }, { Authorization: ['Bearer', TOKEN] }]) {
      const client = wsClient(app.wsUrl, { connectionParams: connectionParams as Record<string, unknown> | undefined });
      const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
      const result = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ jobs(first: 1) { totalCount } }' }, { next: resolve, error: resolve, complete: () => resolve(null) });
      });
      expect(JSON.stringify(result)).not.toContain('totalCount');
      expect(await closed).toBe(4401);
      await client.dispose();
    }
  });

  test('WebSocket: a subscribe sent before connection_init is refused', async () => {
    const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const code = new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
    const messages: string[] = [];
    socket.on('message', (m) => messages.push(String(m)));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ jobs(first: 1) { totalCount } }' } }));
    expect(await code).toBe(4401);
    expect(messages.join('')).not.toContain('totalCount');
  });
});
