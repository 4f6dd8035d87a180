import { describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/files.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { CHUNK_SIZE, collect, createPausedJob, LIVE_WAIT_MS, startLiveEnv, triggerJob, untilLive } from './live-env.js';

const TOKEN = 'live-token-0123456789abcdef';
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** The app's own server (buildApp), so this covers the WebSocket upgrade path `npm start` serves. */
describe('WebSocket auth with API_TOKEN set', () => {
  it('closes a socket without the token or with a wrong one (4401); with the token, a real sync streams', async () => {
    await using env = await startLiveEnv({ env: { API_TOKEN: TOKEN } });
    await env.s3.putObjects([
      ['p/one.bin', seededBytes(2 * CHUNK_SIZE + 5, 1)],
      ['p/two.txt', 'two'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'p/', BEARER);

    const refused: Array<{ params: Record<string, unknown> | undefined; code?: number }> = [
      { params: undefined },
      { params: { authorization: 'Bearer wrong-token-0123456789' } },
      { params: { authorization: TOKEN } },
    ];
    for (const attempt of refused) {
      const client = wsClient(env.app.wsUrl, { lazy: false, connectionParams: attempt.params });
      client.on('closed', (event) => (attempt.code = (event as { code: number }).code));
      const sub = collect(client, jobId);
      await waitFor(() => sub.ended.length > 0, 5_000, 'the refused subscription to end');
      expect(attempt.code, JSON.stringify(attempt.params)).toBeOneOf([4401, 4403]);
      expect(sub.results).toEqual([]);
      await client.dispose();
    }

    const client = wsClient(env.app.wsUrl, { lazy: false, connectionParams: BEARER });
    try {
      const sub = collect(client, jobId);
      await untilLive(env.app.bus, [jobId], [sub]);
      await triggerJob(env.app, jobId, BEARER);
      await waitFor(() => sub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS);
      expect(sub.ended).toEqual([]);
      expect(sub.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['RUN_STARTED', 'CHUNK', 'OBJECT_DONE', 'RUN_FINISHED']));
      expect(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort()).toEqual(['p/one.bin', 'p/two.txt']);
    } finally {
      await client.dispose();
    }
  });
});
