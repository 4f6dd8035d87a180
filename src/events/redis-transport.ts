import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../config/logger.js';
import { succeedsWithin } from '../config/succeeds-within.js';
import { namespacedTarget } from './namespaced-target.js';
import { createPublishGate, PUBLISH_STALL_MS } from './publish-gate.js';

/** How long start-up waits for Redis before going on without it (events are then lost until it answers). */
const CONNECT_WAIT_MS = 5_000;
const PING_TIMEOUT_MS = 1_000;

export interface RedisTransport {
  /** The event bus's target: every instance's events reach every instance's subscribers of the same deployment. */
  eventTarget: EventTarget;
  /** True when Redis answers a PING; used by /readyz. */
  isReady(): Promise<boolean>;
  /** PUBLISHes of progress events dropped since start because Redis did not answer (see publish-gate.ts). */
  droppedPublishes(): number;
  close(): Promise<void>;
}

/**
 * Progress events through Redis pub/sub (graphql-yoga's Redis event target on ioredis). Redis is
 * not needed for syncing: while it is down or hangs, publishing drops events instead of queueing
 * them (a sync never waits on it or fills memory), subscriptions stay open and receive again once ioredis
 * has reconnected and resubscribed; the outage and the recovery are logged once each. Channels are
 * named `dss:<deploymentId>:<topic>` (deployment-id.ts).
 */
export async function createRedisTransport(url: string, deploymentId: string, logger: Logger): Promise<RedisTransport> {
  const publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  // The subscriber keeps its offline queue: SUBSCRIBE commands sent while reconnecting wait for it.
  const subscriber = new Redis(url, { lazyConnect: true });
  let down = false;
  const onError = (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: err.message }, 'Redis unreachable: progress events of this instance are not shared until it is back; syncs go on');
  };
  const onReady = () => {
    if (!down) return;
    down = false;
    logger.info('Redis reachable again: progress events are shared again');
  };
  for (const client of [publisher, subscriber]) {
    client.on('error', onError);
    client.on('ready', onReady);
  }
  if (!(await succeedsWithin(Promise.all([publisher.connect(), subscriber.connect()]), CONNECT_WAIT_MS))) {
    onError(new Error(`no answer from Redis within ${CONNECT_WAIT_MS} ms`));
  }

  // The event target does not wait for PUBLISH; a refused one (Redis down) must not become an unhandled rejection.
  const gate = createPublishGate(
    (channel, message) =>
      publisher.publish(channel, message).catch((err: Error) => {
        onError(err);
        throw err;
      }),
    {
      onStalled: () => onError(new Error(`no answer to PUBLISH within ${PUBLISH_STALL_MS} ms`)),
      onAnsweredAfterStall: onReady,
    },
  );
  const publishClient = { publish: gate.publish } as unknown as Redis;
  const redisTarget = createRedisEventTarget({ publishClient, subscribeClient: subscriber }) as unknown as EventTarget;
  const eventTarget = namespacedTarget(redisTarget, `dss:${deploymentId}`);

  return {
    eventTarget,
    async isReady() {
      return publisher.status === 'ready' && succeedsWithin(publisher.ping(), PING_TIMEOUT_MS);
    },
    droppedPublishes: () => gate.dropped,
    async close() {
      gate.close();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
