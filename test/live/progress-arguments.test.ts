import { describe, expect, it } from 'vitest';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { collect, createPausedJob, untilLive } from '../live/live-env.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('syncProgress arguments and auth', () => {
  it('jobId validation: malformed → BAD_USER_INPUT, unknown → NOT_FOUND, padded id works', async () => {
    await using app = await startTestApp();
    const jobId = await createPausedJob(app, 'bucket', 'p/');
    const client = wsClient(app.wsUrl, { lazy: false });
    try {
      const codes: Record<string, unknown> = {};
      for (const id of ['', 'nope', '11111111-1111-4111-8111-111111111111', 123]) {
        const sub = collect(client, id as string);
        await waitFor(() => sub.results.length > 0 || sub.ended.length > 0, 5000, String(id));
        codes[String(id)] = (sub.results[0]?.errors?.[0]?.extensions as { code?: string } | undefined)?.code ?? JSON.stringify(sub.ended);
      }
      expect(codes).toEqual({ '': 'BAD_USER_INPUT', nope: 'BAD_USER_INPUT', '11111111-1111-4111-8111-111111111111': 'NOT_FOUND', '123': 'BAD_USER_INPUT' });
      const padded = collect(client, `  ${jobId}  `);
      await untilLive(app.bus, [jobId], [padded]);
    } finally {
      await client.dispose();
    }
  });

  it('with API_TOKEN: SSE subscriptions over HTTP need the token too', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const query = encodeURIComponent('subscription { syncProgress { kind } }');
    const controller = new AbortController();
    const res = await fetch(`${app.graphqlUrl}?query=${query}`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    controller.abort();
    expect(res.status).toBe(401);
  });

  it('with API_TOKEN: the token works in connectionParams in any key case and as the upgrade header; wrong ones are 4401', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const jobId = await createPausedJob(app, 'bucket', 'p/', { authorization: `Bearer ${TOKEN}` });
    const ok = async (params: Record<string, unknown>) => {
      const client = wsClient(app.wsUrl, { lazy: false, connectionParams: params });
      let code: number | undefined;
      client.on('closed', (e) => (code = (e as { code: number }).code));
      const sub = collect(client, jobId);
      try {
        await waitFor(() => {
          app.bus.publish({ kind: 'RUN_STARTED', jobId, runId: 'probe', objectKey: null, bytesTransferred: 0, objectSize: null, status: null, at: new Date() });
          return sub.probed || sub.ended.length > 0;
        }, 5000);
        return sub.probed ? 'ok' : code;
      } finally {
        await client.dispose();
      }
    };
    expect(await ok({ Authorization: `Bearer ${TOKEN}` })).toBe('ok');
    expect(await ok({ authorization: `bearer ${TOKEN}` })).toBe('ok');
    expect(await ok({ authorization: `Bearer ${TOKEN}x` })).toBe(4401);
    expect(await ok({ authorization: 42 })).toBe(4401);
    expect(await ok({ authorization: ['Bearer', TOKEN] })).toBe(4401);
  });
});
