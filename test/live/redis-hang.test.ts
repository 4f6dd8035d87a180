import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http, wsClient } from '../helpers/clients.js';
import { seededBytes } from '../helpers/files.js';
import { captureLogs } from '../helpers/logs.js';
import { metricValue } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { findRedisServer, startThrowawayRedis } from '../setup/throwaway-servers.js';
import type { TestApp } from '../helpers/test-app.js';
import { collect, createPausedJob, LIVE_WAIT_MS, startLiveEnv, triggerJob, untilLive } from './live-env.js';

const OBJECTS = 300;

/**
 * README "Redis is down": a Redis that hangs (SIGSTOP here; a network partition or a blocked
 * server alike) keeps its TCP connection, so every PUBLISH waits in the client for an answer.
 * The service takes Redis as down once PUBLISHes go unanswered for a while: later events are
 * dropped, not held in memory and sent when Redis answers again.
 */
describe.skipIf(!findRedisServer())('a hung Redis', () => {
  it('does not make the service queue the events of a whole run in memory', async () => {
    const redis = await startThrowawayRedis(findRedisServer()!);
    const redisPid = redis.pid()!;
    const logs = captureLogs();
    let stopped = false;
    try {
      await using env = await startLiveEnv({ env: { REDIS_URL: redis.url, SYNC_THREAD: 'false' }, logger: logs.logger });
      const { app, s3 } = env;
      await s3.putObjects([
        ['first/one.txt', seededBytes(100, 0)],
        ...Array.from({ length: OBJECTS }, (_, i): [string, Buffer] => [`h/${String(i).padStart(4, '0')}.txt`, seededBytes(100, i)]),
      ]);
      const firstJobId = await createPausedJob(app, s3.bucket, 'first/');
      const jobId = await createPausedJob(app, s3.bucket, 'h/');
      const client = wsClient(app.wsUrl, { lazy: false });
      try {
        const first = collect(client, firstJobId);
        const sub = collect(client, jobId);
        await untilLive(app.bus, [firstJobId, jobId], [first, sub]);
        process.kill(redisPid, 'SIGSTOP');
        stopped = true;
        await waitFor(async () => (await http(app, 'GET', '/readyz')).body.redis === 'unreachable', 10_000, 'readyz to report Redis hung');
        // A small run's PUBLISHes go unanswered until the service takes Redis as down.
        const firstRunId = await triggerJob(app, firstJobId);
        await untilEnded(app, firstRunId);
        await waitFor(() => logs.lines.some((l) => String(l.msg).startsWith('Redis unreachable')), 10_000, 'the hang to be logged');
        const runId = await triggerJob(app, jobId);
        await untilEnded(app, runId);
        process.kill(redisPid, 'SIGCONT');
        stopped = false;
        await waitFor(async () => (await http(app, 'GET', '/readyz')).body.redis === 'ok', 10_000, 'Redis back');
        await waitFor(() => first.events.some((e) => e.kind === 'RUN_FINISHED'), 10_000, "the first run's events, sent late");
        await waitFor(() => logs.lines.some((l) => String(l.msg).startsWith('Redis reachable again')), 10_000, 'the recovery to be logged');
        // The first run's events waited in memory (a bounded few); every one of the big run's was dropped, and counted.
        expect(first.events.filter((e) => e.runId === firstRunId).length).toBeLessThanOrEqual(10);
        const replayed = sub.events.filter((e) => e.runId === runId);
        expect(replayed.length, `${replayed.length} events of the run were queued in memory during the outage and replayed`).toBe(0);
        const dropped = metricValue((await http(app, 'GET', '/metrics')).text, 'dss_redis_publishes_dropped');
        expect(dropped).toBeGreaterThanOrEqual(2 * (2 * OBJECTS + 2));
      } finally {
        await client.dispose();
      }
    } finally {
      if (stopped) process.kill(redisPid, 'SIGCONT');
      await redis.stop();
    }
  });
});

async function untilEnded(app: TestApp, runId: string): Promise<void> {
  const status = async () => (await app.orm.em.fork().findOneOrFail(SyncRun, { id: Number(runId) })).status;
  await waitFor(async () => (await status()) !== 'RUNNING', LIVE_WAIT_MS, `run ${runId} to end`);
}
