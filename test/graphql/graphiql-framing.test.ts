import { describe, expect, test } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';

/**
 * README, "Browsers and other origins": the API answers browsers of its own origin only (GraphiQL
 * and pages the service serves). GraphiQL fills its editor from `?query=` and runs it with the
 * page's origin, so a foreign page that frames
 * `/graphql?query=mutation { deleteJob(id: "…", purgeFiles: true) { … } }` and gets the user to
 * click the (invisible) run button acts as the service's own origin (clickjacking). The dashboard
 * sends `frame-ancestors 'none'`; GraphiQL's page sends no framing policy at all.
 */
describe('GraphiQL page framing', () => {
  test('GraphiQL (GET /graphql as a browser asks for it) forbids framing by other origins', async () => {
    await using app = await startTestApp();
    const query = encodeURIComponent('mutation { deleteJobs(ids: ["00000000-0000-4000-8000-000000000000"]) { deletedCount } }');
    const res = await http(app, 'GET', `/graphql?query=${query}`, undefined, { accept: 'text/html' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const xfo = res.headers.get('x-frame-options');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(xfo !== null || /frame-ancestors\s+('none'|'self')/.test(csp), `x-frame-options: ${xfo}; content-security-policy: ${csp || '(none)'}`).toBe(true);
  });

  test('for comparison, the dashboard page does', async () => {
    await using app = await startTestApp();
    const res = await http(app, 'GET', '/', undefined, { accept: 'text/html' });
    if (res.status === 503) return; // dashboard not built in this tree
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  });
});
