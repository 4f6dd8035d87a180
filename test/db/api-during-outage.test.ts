import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { captureLogs } from '../helpers/logs.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

// PostgreSQL down for a few seconds (a restart, a failover): the API says so as /readyz does
// (503, retry later), not 500 "Internal server error", which clients take for a defect and do not retry.
describe.runIf(onPostgres)('the API while PostgreSQL is unreachable', () => {
  it('REST answers 503 with Retry-After, GraphQL SERVICE_UNAVAILABLE; logged as a warning without a stack', async () => {
    const logs = captureLogs();
    await using relay = await startRelayedPostgres();
    await using app = await startTestApp({ logger: logs.logger, env: { DB_URL: relay.dbUrl } });
    const jobId = '00000000-0000-4000-8000-000000000000';
    await relay.cut();
    expect((await http(app, 'GET', '/readyz')).status).toBe(503);
    const list = await http(app, 'GET', '/api/v1/scheduler/list_jobs');
    const objects = await http(app, 'GET', `/api/v1/jobs/${jobId}/objects`);
    const create = await http(app, 'POST', '/api/v1/scheduler/create_job', {
      job_name: 'during outage',
      connector_type: 'S3',
      schedule: 'hourly',
      connector_config: { bucket_name: 'bkt', prefix: 'p/' },
    });
    const graphql = await http(app, 'POST', '/graphql', { query: '{ jobs(first: 1) { edges { node { id } } } }' });
    await relay.mend();

    expect([list.status, objects.status, create.status]).toEqual([503, 503, 503]);
    expect(list.body).toEqual({ message: 'Database unavailable, try again later' });
    expect(objects.body).toEqual({ error: 'Database unavailable, try again later' });
    expect(list.headers.get('retry-after')).toBe('5');
    expect(graphql.body.errors).toMatchObject([{ message: 'Database unavailable, try again later', extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
    // The background loops log the start of an outage once each (as the README says); the requests are warnings.
    const loopFailures = ['pruning run history failed', 'webhook delivery poll failed', 'could not queue the webhooks of ended runs', 'scheduler tick failed', 'run lease heartbeat failed'];
    expect(logs.lines.filter((line) => Number(line.level) >= 50 && !loopFailures.includes(String(line.msg)))).toEqual([]);
    expect(logs.lines.some((line) => line.msg === 'request failed: service unavailable')).toBe(true);
    // Back: the same routes answer again.
    expect((await http(app, 'GET', '/api/v1/scheduler/list_jobs')).status).toBe(200);
  });
});
