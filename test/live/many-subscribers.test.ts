import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/files.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { CHUNK_SIZE, collect, createPausedJob, startLiveEnv, triggerJob, untilLive, type Collector } from './live-env.js';

const SOCKETS = 10;
const SUBSCRIPTIONS_PER_SOCKET = 10;

const SOURCE: Array<[string, Buffer]> = [
  ['data/big.bin', seededBytes(5 * CHUNK_SIZE + 7, 11)],
  ...Array.from({ length: 6 }, (_, i): [string, Buffer] => [`data/file-${i}.txt`, seededBytes(1000 + i * 333, 20 + i)]),
];

describe('many subscribers', () => {
  it(`${SOCKETS * SUBSCRIPTIONS_PER_SOCKET} subscriptions on ${SOCKETS} sockets each receive every OBJECT_DONE and the RUN_FINISHED`, async () => {
    await using env = await startLiveEnv();
    await env.s3.putObjects(SOURCE);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'data/');
    const clients: Client[] = Array.from({ length: SOCKETS }, () => wsClient(env.app.wsUrl, { lazy: false }));
    try {
      // Half of each socket's subscriptions name the job, half listen to every job.
      const collectors: Collector[] = clients.flatMap((client) =>
        Array.from({ length: SUBSCRIPTIONS_PER_SOCKET }, (_, i) => collect(client, i % 2 === 0 ? jobId : undefined)),
      );
      await untilLive(env.app.bus, [jobId], collectors);

      const runId = await triggerJob(env.app, jobId);
      const finished = (c: Collector) => c.events.some((e) => e.kind === 'RUN_FINISHED');
      await waitFor(() => collectors.every(finished), 30_000, 'RUN_FINISHED on all subscriptions');

      const expectedKeys = SOURCE.map(([key]) => key).sort();
      for (const [i, c] of collectors.entries()) {
        expect(c.ended, `subscription ${i}`).toEqual([]);
        const done = c.events.filter((e) => e.kind === 'OBJECT_DONE');
        expect(done.map((e) => e.objectKey).sort(), `subscription ${i}`).toEqual(expectedKeys);
        expect(c.events.filter((e) => e.kind === 'RUN_FINISHED'), `subscription ${i}`).toEqual([
          expect.objectContaining({ jobId, runId, runStatus: 'SUCCEEDED' }),
        ]);
        expect(c.events.at(-1)?.kind, `subscription ${i}`).toBe('RUN_FINISHED');
      }
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});
