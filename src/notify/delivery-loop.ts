import type { Config, WebhookConfig } from '../config/env.js';
import { createFailureLog } from '../config/failure-log.js';
import type { Logger } from '../config/logger.js';
import { isHostAllowed } from '../config/host-list.js';
import { createOutboundAgents } from '../config/proxy-agents.js';
import { databaseNow } from '../db/database-clock.js';
import { Job } from '../db/entities/job.entity.js';
import { WebhookAttempt } from '../db/entities/webhook-attempt.entity.js';
import { WebhookDelivery } from '../db/entities/webhook-delivery.entity.js';
import type { Orm } from '../db/orm.js';
import { sweepUnqueuedRunEnds } from './run-end-sweep.js';
import { MAX_ATTEMPTS, nextAttemptDelayMs } from './retry-schedule.js';
import { sendWebhook, type SendResult } from './send-webhook.js';
import { webhookOrigin } from './webhook-url.js';

/** Deliveries POSTed at once by one process; a hanging receiver holds one of them for at most the timeout. */
const MAX_IN_FLIGHT = 8;
/** Of those, to one origin: a receiver that hangs holds two slots at most, never every one. */
const MAX_IN_FLIGHT_PER_ORIGIN = 2;
/** Due rows read per poll for each free slot, so that rows of a busy origin can be passed over. */
const DUE_ROWS_PER_SLOT = 4;
/** Pages of due rows one poll reads at most, looking past origins whose slots are taken. */
const MAX_DUE_PAGES = 25;
/** Added to the timeout when claiming a row, so a claim outlives its attempt even on a busy loop. */
const CLAIM_MARGIN_MS = 30_000;

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

export interface DeliveryLoopDeps {
  orm: Orm;
  config: WebhookConfig;
  /** Outbound proxies of the deliveries (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); absent: direct. */
  proxy?: Config['proxy'];
  logger: Logger;
  /** How often due deliveries are looked for (default 1 s). */
  pollMs?: number;
  /** Told about every recorded attempt (metrics). */
  onOutcome?: (jobId: string, outcome: DeliveryOutcome) => void;
  now?: () => Date;
}

export interface DeliveryLoop {
  /** Polls at once (ended runs whose deliveries a stopped process never queued, due deliveries), then every `pollMs`. */
  start(): void;
  /** Stops polling, aborts attempts in flight (their rows stay due for the next start) and waits for them. */
  stop(): Promise<void>;
  /** Sweeps ended runs and looks for due deliveries now, and waits for the attempts it started (tests). */
  poll(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * Sends the rows of `webhook_deliveries`. A due row is claimed with one conditional UPDATE (status
 * PENDING and due → due again only after the claim), so two loops, in one process or several
 * sharing a database, never send the same attempt. Each attempt is recorded with its delivery's
 * new state in one transaction; a process that dies mid-attempt leaves the row to be retried when
 * its claim runs out (the same X-DSS-Delivery id, so receivers can drop a duplicate). Each poll
 * first queues the deliveries of ended runs that were never queued (run-end-sweep.ts).
 */
export function createDeliveryLoop({ orm, config, proxy, logger, pollMs = 1000, onOutcome, now = () => databaseNow(orm) }: DeliveryLoopDeps): DeliveryLoop {
  // One connection per attempt: deliveries are rare, and a receiver is not kept waiting on an idle socket.
  const agents = createOutboundAgents({ keepAlive: false }, proxy);
  const inFlight = new Set<Promise<void>>();
  const perOrigin = new Map<string, number>();
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | null = null;
  /** The last poll left due rows for want of a free slot: a finished attempt polls again at once. */
  let leftDue = false;
  /** A poll was asked for while one ran (an attempt ended meanwhile): another follows it. */
  let pollAgain = false;
  let state: 'idle' | 'started' | 'stopped' = 'idle';
  const pollFailures = createFailureLog(logger, { failed: 'webhook delivery poll failed', recovered: 'webhook delivery polls succeed again' });
  const sweepFailures = createFailureLog(logger, { failed: 'could not queue the webhooks of ended runs', recovered: 'the webhooks of ended runs are queued again' });

  /** Its failure is logged on its own: it never holds up the deliveries already queued. */
  async function sweepRunEnds(): Promise<void> {
    try {
      const runIds = await sweepUnqueuedRunEnds(orm, now());
      sweepFailures.succeeded();
      if (runIds.length) logger.info({ runIds }, 'queued the webhooks of ended runs whose end had not been queued');
    } catch (err) {
      sweepFailures.failed(err);
    }
  }

  async function claim(delivery: WebhookDelivery, at: Date): Promise<boolean> {
    const until = new Date(at.getTime() + config.timeoutMs + CLAIM_MARGIN_MS);
    const claimed = await orm.em
      .fork()
      .nativeUpdate(WebhookDelivery, { id: delivery.id, status: 'PENDING', nextAttemptAt: { $lte: at } }, { nextAttemptAt: until });
    return claimed === 1;
  }

  /** Records an attempt with its delivery's new state; null when the delivery is gone meanwhile (its job deleted). */
  async function record(delivery: WebhookDelivery, attempt: number, result: SendResult, giveUp: boolean): Promise<DeliveryOutcome | null> {
    const at = now();
    const outcome: DeliveryOutcome = result.ok ? 'delivered' : giveUp || attempt >= MAX_ATTEMPTS ? 'failed' : 'retrying';
    return orm.em.fork().transactional(async (em) => {
      // The delivery first: its row (deleted with its job) decides whether there is an attempt to record.
      const updated = await em.nativeUpdate(
        WebhookDelivery,
        { id: delivery.id },
        {
          status: outcome === 'delivered' ? 'DELIVERED' : outcome === 'failed' ? 'FAILED' : 'PENDING',
          attempts: attempt,
          lastStatusCode: result.statusCode,
          lastError: result.error,
          deliveredAt: result.ok ? at : null,
          nextAttemptAt: outcome === 'retrying' ? new Date(at.getTime() + nextAttemptDelayMs(attempt, config.retryBaseMs, result.retryAfterMs)) : at,
          updatedAt: at,
        },
      );
      if (updated === 0) return null;
      em.persist(
        new WebhookAttempt({
          deliveryId: delivery.id,
          attempt,
          statusCode: result.statusCode,
          error: result.error,
          durationMs: result.durationMs,
          attemptedAt: at,
        }),
      );
      await em.flush();
      return outcome;
    });
  }

  /** Whether the delivery's job still has its webhook (URL and event): one removed by an update is not retried. */
  async function stillWanted(delivery: WebhookDelivery): Promise<boolean> {
    const job = await orm.em.fork().findOne(Job, { id: delivery.jobId }, { fields: ['webhooks'] });
    return job?.webhooks.some((hook) => hook.url === delivery.url && hook.events.includes(delivery.event)) ?? false;
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    const attempt = delivery.attempts + 1;
    const target = {
      deliveryId: delivery.id,
      jobId: delivery.jobId,
      runId: delivery.runId,
      event: delivery.event,
      attempt,
      target: webhookOrigin(delivery.url),
    };
    const refusal = !isHostAllowed(hostnameOf(delivery.url), config.allowedHosts)
      ? 'host is not in WEBHOOK_ALLOWED_HOSTS'
      : !(await stillWanted(delivery))
        ? 'the webhook was removed from the job'
        : null;
    const result: SendResult =
      refusal === null
        ? await sendWebhook({ ...delivery, deliveryId: delivery.id, attempt, secret: config.secret }, config.timeoutMs, stopping.signal, agents)
        : { ok: false, statusCode: null, error: refusal, durationMs: 0, retryAfterMs: null };
    if (stopping.signal.aborted && !result.ok) {
      // Cut short by shutdown: not an attempt. The row is due again for the next start.
      await orm.em.fork().nativeUpdate(WebhookDelivery, { id: delivery.id, status: 'PENDING' }, { nextAttemptAt: now() });
      return;
    }
    const outcome = await record(delivery, attempt, result, refusal !== null);
    if (outcome === null) {
      logger.debug({ ...target }, 'webhook delivery gone (its job was deleted); attempt not recorded');
      return;
    }
    onOutcome?.(delivery.jobId, outcome);
    if (outcome === 'delivered') logger.debug({ ...target, statusCode: result.statusCode }, 'webhook delivered');
    else logger.warn({ ...target, statusCode: result.statusCode, error: result.error, outcome }, 'webhook attempt failed');
  }

  async function pollOnce(): Promise<void> {
    await sweepRunEnds();
    const at = now();
    const room = MAX_IN_FLIGHT - inFlight.size;
    if (room <= 0) {
      leftDue = true;
      return;
    }
    const pageSize = room * DUE_ROWS_PER_SLOT;
    // Page on past the rows of saturated origins (a hanging receiver's backlog), so that other
    // receivers' deliveries are not held behind them; a bounded number of pages per poll.
    let after: { nextAttemptAt: Date; id: string } | undefined;
    for (let page = 0; page < MAX_DUE_PAGES && inFlight.size < MAX_IN_FLIGHT; page += 1) {
      const due = await orm.em.fork().find(
        WebhookDelivery,
        {
          status: 'PENDING',
          nextAttemptAt: { $lte: at },
          ...(after ? { $or: [{ nextAttemptAt: { $gt: after.nextAttemptAt } }, { nextAttemptAt: after.nextAttemptAt, id: { $gt: after.id } }] } : {}),
        },
        { orderBy: { nextAttemptAt: 'asc', id: 'asc' }, limit: pageSize },
      );
      await startDue(due, at);
      if (due.length < pageSize) return;
      const last = due[due.length - 1]!;
      after = { nextAttemptAt: last.nextAttemptAt, id: last.id };
    }
    leftDue = true;
  }

  async function startDue(due: WebhookDelivery[], at: Date): Promise<void> {
    for (const delivery of due) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        leftDue = true;
        break;
      }
      const origin = webhookOrigin(delivery.url);
      // Left due until one of the origin's attempts ends: its slots are taken (a slow or hanging receiver).
      if ((perOrigin.get(origin) ?? 0) >= MAX_IN_FLIGHT_PER_ORIGIN) {
        leftDue = true;
        continue;
      }
      if (stopping.signal.aborted || !(await claim(delivery, at))) continue;
      perOrigin.set(origin, (perOrigin.get(origin) ?? 0) + 1);
      const sending = deliver(delivery)
        .catch((err: unknown) => logger.error({ err, deliveryId: delivery.id, jobId: delivery.jobId, runId: delivery.runId }, 'could not record a webhook attempt'))
        .finally(() => {
          inFlight.delete(sending);
          const left = (perOrigin.get(origin) ?? 1) - 1;
          if (left > 0) perOrigin.set(origin, left);
          else perOrigin.delete(origin);
          // The caps bound the attempts in flight, not the attempts per poll interval.
          if ((leftDue || polling) && state === 'started') void poll();
        });
      inFlight.add(sending);
    }
  }

  /** One poll at a time; one asked for meanwhile follows it, as the running one may have read its rows before a slot was freed. */
  function poll(): Promise<void> {
    if (polling) {
      pollAgain = true;
      return polling;
    }
    polling = (async () => {
      do {
        pollAgain = false;
        leftDue = false;
        await pollOnce().then(
          () => pollFailures.succeeded(),
          (err: unknown) => pollFailures.failed(err),
        );
      } while (pollAgain && state !== 'stopped');
    })().finally(() => (polling = null));
    return polling;
  }

  function schedule(): void {
    if (state !== 'started') return;
    timer = setTimeout(() => void poll().finally(schedule), pollMs);
  }

  const loop: DeliveryLoop = {
    start() {
      if (state !== 'idle') return;
      state = 'started';
      void poll().finally(schedule);
    },
    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      clearTimeout(timer);
      stopping.abort();
      await polling;
      await Promise.all([...inFlight]);
    },
    async poll() {
      await poll();
      await Promise.all([...inFlight]);
    },
    [Symbol.asyncDispose]: () => loop.stop(),
  };
  return loop;
}
