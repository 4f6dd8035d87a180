import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-dashboard.js';
import { http } from '../helpers/clients.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const TOKEN = 'dashboard-token-0123456789';
let app: TestApp;
let script: string;
let styles: string;

beforeAll(async () => {
  await buildDashboard();
  app = await startTestApp({ env: { API_TOKEN: TOKEN } });
  const page = await http(app, 'GET', '/');
  script = /src="\/assets\/([^"]+\.js)"/.exec(page.text)![1]!;
  styles = /href="\/assets\/([^"]+\.css)"/.exec(page.text)![1]!;
});
afterAll(async () => {
  await app.stop();
});

describe('the dashboard is served by the service, and only its static files skip the token', () => {
  it('GET / is the page (HTML, not cached stale, same-origin CSP) without a token', async () => {
    const res = await http(app, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.text).toContain('<div id="app">');
    expect((await fetch(`${app.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it('hashed assets load without a token with their content types, cached as immutable', async () => {
    const js = await http(app, 'GET', `/assets/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await http(app, 'GET', `/assets/${styles}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Small: everything the page loads, well under 1.5 MB.
    expect(js.text.length + css.text.length).toBeLessThan(300 * 1024);
  });

  it('nothing else gets through: unknown assets are 404, every API path still wants the token', async () => {
    for (const path of ['/assets/nope.js', '/assets/..%2Fpackage.json', '/assets/index.html', '/assets/x.map']) {
      expect((await http(app, 'GET', path)).status, path).toBe(404);
    }
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(401);
    expect((await http(app, 'POST', '/graphql', { query: '{ jobs { totalCount } }' })).status).toBe(401);
    expect((await http(app, 'GET', '/metrics')).status).toBe(401);
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});
