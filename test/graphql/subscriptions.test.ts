import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncProgressDocument, type SyncProgressSubscription } from '../generated/graphql.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { chunkEvent } from '../helpers/progress-events.js';
import { startGraphqlApp, TOKEN, type GraphqlTestApp } from './graphql-env.js';

const JOB_A = '11111111-1111-4111-8111-111111111111';
const JOB_B = '22222222-2222-4222-8222-222222222222';

const chunk = (jobId: string, bytes: number) =>
  chunkEvent({ jobId, runId: '7', bytesTransferred: bytes, objectSize: 2 ** 53 - 1, at: new Date('2026-11-24T10:00:00Z') });

/** Job rows with these ids, so that their progress can be subscribed to. */
async function jobsExist(api: GraphqlTestApp, ...ids: string[]): Promise<void> {
  const em = api.app.orm.em.fork();
  for (const id of ids) await em.insert(new Job({ id, name: `job ${id.slice(0, 4)}`, connectorType: 'S3', bucketName: 'bkt', schedule: 'hourly' }));
}

/** Subscribes and collects every `next` payload (and the end: error or completion) into arrays. */
function collect(client: Client, jobId?: string) {
  const results: FormattedExecutionResult<SyncProgressSubscription, unknown>[] = [];
  const ended: unknown[] = [];
  const dispose = client.subscribe<SyncProgressSubscription>(
    { query: print(SyncProgressDocument), variables: jobId === undefined ? {} : { jobId } },
    { next: (r) => results.push(r), error: (e) => ended.push(e), complete: () => ended.push('complete') },
  );
  /** The errors the subscription was refused with: in its first result, or as the error that ended it. */
  const firstErrors = async () => {
    await waitFor(() => ended.length > 0 || results.length > 0);
    return results[0]?.errors ?? (ended[0] as unknown[]);
  };
  return { results, ended, dispose, firstErrors, events: () => results.flatMap((r) => (r.data ? [r.data.syncProgress] : [])) };
}

describe('syncProgress over graphql-ws', () => {
  it('delivers bus events over a real socket; the jobId filter keeps other jobs out', async () => {
    await using api = await startGraphqlApp();
    await jobsExist(api, JOB_A, JOB_B);
    const client = wsClient(api.wsUrl);
    try {
      const onlyA = collect(client, JOB_A);
      const all = collect(client);
      // A subscription becomes live asynchronously: publish until both have seen events of both jobs.
      let bytes = 0;
      await waitFor(
        () => onlyA.events().length > 0 && new Set(all.events().map((e) => e.jobId)).size === 2,
        {
          step: () => {
            bytes += 1;
            api.app.bus.publish(chunk(JOB_B, bytes));
            api.app.bus.publish(chunk(JOB_A, bytes));
          },
        },
      );
      expect(onlyA.events().every((e) => e.jobId === JOB_A)).toBe(true);
      expect(onlyA.events()[0]).toEqual({
        kind: 'CHUNK',
        jobId: JOB_A,
        runId: '7',
        objectKey: 'data/big.bin',
        bytesTransferred: expect.any(Number),
        objectSize: 2 ** 53 - 1,
        status: 'PROCESSING',
        runStatus: null,
        error: null,
        at: '2026-11-24T10:00:00.000Z',
      });
      // Per subscriber, events arrive in publish order.
      const seenA = onlyA.events().map((e) => e.bytesTransferred);
      expect(seenA).toEqual([...seenA].sort((x, y) => x - y));
      expect([...onlyA.results, ...all.results].every((r) => r.errors === undefined)).toBe(true);
      onlyA.dispose();
      all.dispose();
    } finally {
      await client.dispose();
    }
  });

  it('a job that does not exist is NOT_FOUND, as in objects and runs', async () => {
    await using api = await startGraphqlApp();
    const client = wsClient(api.wsUrl);
    try {
      const sub = collect(client, JOB_A);
      const errors = await sub.firstErrors();
      expect(errors).toEqual([expect.objectContaining({ message: 'Job not found', extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })]);
    } finally {
      await client.dispose();
    }
  });

  it('a malformed jobId is BAD_USER_INPUT', async () => {
    await using api = await startGraphqlApp();
    const client = wsClient(api.wsUrl);
    try {
      const sub = collect(client, 'not-a-uuid');
      const errors = await sub.firstErrors();
      expect(errors).toEqual([expect.objectContaining({ message: 'jobId: Invalid job ID', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
    } finally {
      await client.dispose();
    }
  });

  /** Makes the subscription's second look at the job (right after it subscribed to the bus) do `second` instead. */
  function atSecondCheck(api: GraphqlTestApp, second: (id: string) => Promise<unknown>) {
    const jobs = api.app.services.jobs;
    const original = jobs.require;
    let calls = 0;
    jobs.require = async (rawId, field) => {
      calls += 1;
      if (calls === 2) await second(String(rawId));
      return original(rawId, field);
    };
  }

  it('a job deleted between its check and the subscription ends the subscription without an error', async () => {
    await using api = await startGraphqlApp();
    await jobsExist(api, JOB_A);
    atSecondCheck(api, (id) => api.app.orm.em.fork().nativeDelete(Job, { id }));
    const client = wsClient(api.wsUrl);
    try {
      const sub = collect(client, JOB_A);
      await waitFor(() => sub.ended.length > 0);
      expect(sub.ended).toEqual(['complete']);
      expect(sub.results).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('a database failure at that second check is an error to the client, not a silent end', async () => {
    await using api = await startGraphqlApp();
    await jobsExist(api, JOB_A);
    atSecondCheck(api, () => Promise.reject(new Error('connection terminated unexpectedly')));
    const client = wsClient(api.wsUrl);
    try {
      const sub = collect(client, JOB_A);
      const errors = await sub.firstErrors();
      // A lost connection is the database being unreachable: the client is told to come back later.
      expect(errors).toEqual([
        expect.objectContaining({ message: 'Database unavailable, try again later', extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }),
      ]);
      expect(JSON.stringify(errors)).not.toMatch(/connection terminated/);
    } finally {
      await client.dispose();
    }
  });

  it('with API_TOKEN set, the socket needs connectionParams.authorization; else it is closed with 4401', async () => {
    await using api = await startGraphqlApp({ API_TOKEN: TOKEN });
    await jobsExist(api, JOB_A);
    const closes: number[] = [];
    const denied = wsClient(api.wsUrl, { connectionParams: { authorization: 'Bearer wrong-token-0123456789' } });
    denied.on('closed', (event) => closes.push((event as { code: number }).code));
    const refused = collect(denied, JOB_A);
    await waitFor(() => refused.ended.length > 0);
    expect(closes).toEqual([4401]);
    expect(refused.results).toEqual([]);
    await denied.dispose();

    const allowed = wsClient(api.wsUrl, { connectionParams: { authorization: `Bearer ${TOKEN}` } });
    try {
      const sub = collect(allowed, JOB_A);
      await waitFor(() => sub.events().length > 0, { step: () => api.app.bus.publish(chunk(JOB_A, 1)) });
      expect(sub.events()[0]?.jobId).toBe(JOB_A);
    } finally {
      await allowed.dispose();
    }
  });

  it('runs queries over the socket with the same limits as HTTP', async () => {
    await using api = await startGraphqlApp();
    const client = wsClient(api.wsUrl);
    try {
      const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
      const errors: unknown[] = [];
      const run = (query: string) =>
        new Promise<void>((resolve) =>
          client.subscribe({ query }, { next: (r) => results.push(r), error: (e) => (errors.push(e), resolve()), complete: resolve }),
        );
      await run('{ jobs { totalCount } }');
      expect(results).toEqual([{ data: { jobs: { totalCount: 0 } } }]);
      await run('{ jobs(first: 1000) { edges { node { objects(first: 1000) { totalCount } } } } }');
      expect(errors).toEqual([[expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }) })]]);
    } finally {
      await client.dispose();
    }
  });
});
