import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, quoteValue, withoutPassword, type Config } from './config/env.js';
import { createLogger, type Logger } from './config/logger.js';
import { ensureWritableFolder } from './config/writable-folder.js';
import { databaseClockOffsetMs } from './db/database-clock.js';
import { isDatabaseLoginRefused, isDatabaseUnreachable } from './db/database-outage.js';
import { readDeploymentId } from './db/deployment-id.js';
import { driverLogTo } from './db/driver-log.js';
import { initOrm, isPostgres, type Orm } from './db/orm.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { createRedisTransport, type RedisTransport } from './events/redis-transport.js';
import { attachGraphqlWs } from './graphql/ws.js';
import { buildYoga, GRAPHQL_PATH } from './graphql/yoga.js';
import { dashboardRoutes } from './http/dashboard.js';
import { healthRoutes } from './http/health.js';
import { closeSilentConnections, IDLE_CONNECTION_MS } from './http/idle-connections.js';
import { followCommittedBytes } from './http/committed-bytes.js';
import { createJobMetrics } from './http/job-metrics.js';
import { graphqlErrorBody, GRAPHQL_MEDIA_TYPES } from './graphql/edge.js';
import { withCompression } from './http/compression.js';
import { createMetrics } from './http/metrics.js';
import { createOriginPolicy } from './http/origin-policy.js';
import { createRouter, type Mount } from './http/router.js';
import { bridgeSyncMetrics } from './http/sync-metrics.js';
import { createDeliveryLoop, type DeliveryLoop } from './notify/delivery-loop.js';
import { notifyRunFinished } from './notify/enqueue.js';
import { mapRestError } from './rest/errors.js';
import { restRoutes } from './rest/routes.js';
import type { JobRunner } from './scheduler/job-runner-types.js';
import { createJobRunner } from './scheduler/job-runner.js';
import { createObjectCountFolder } from './scheduler/count-folder.js';
import { createRunHistoryPruner, type RunHistoryPruner } from './scheduler/run-history.js';
import { createServices, type Services } from './services/services.js';
import { createThreadRunExecutor, type ThreadRunExecutor } from './sync/engine-thread/thread-executor.js';
import { createRunConnectors, createRunExecutor, type RunExecutor } from './sync/run-executor.js';
import { previewSync } from './sync/sync-preview.js';
import { createSecretBox } from './config/secret-box.js';
import { checkStoredSecrets } from './db/stored-secrets-check.js';

/** Past this, the start-up log says the host clock is off (everything that instances compare already follows the database's). */
const CLOCK_OFFSET_WARN_MS = 1000;

export interface App {
  server: Server;
  orm: Orm;
  bus: EventBus;
  runner: JobRunner;
  /** Prunes run history (RUN_HISTORY_DAYS / RUN_HISTORY_MAX) at start and every 10 minutes. */
  historyPruner: RunHistoryPruner;
  services: Services;
  config: Config;
  logger: Logger;
  webhooks: DeliveryLoop;
  /** The thread the runs execute on (SYNC_THREAD, the default), unless `execute` was given. */
  engineThread?: ThreadRunExecutor;
  /** Listens on config.host:config.port (0 = any free port), then starts the schedules. */
  start(): Promise<{ port: number }>;
  /** Stops accepting, finishes in-flight requests, cancels syncs at a chunk boundary, closes the database. */
  stop(): Promise<void>;
  /** The part of stop() it is waiting for (undefined before and after): named when a stop is cut short. */
  stopPending(): string | undefined;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface BuildAppOptions {
  logger?: Logger;
  /** How long stop() lets in-flight requests (and long-lived streams) finish before closing their sockets. */
  stopGraceMs?: number;
  /** Replaces the sync engine (tests of the scheduler and lifecycle APIs drive runs by hand). */
  execute?: RunExecutor;
  /** The event bus's transport, e.g. @graphql-yoga/redis-event-target to share progress between instances. */
  eventTarget?: EventTarget;
  /** How often the webhook delivery loop looks for due deliveries (default 1 s). */
  webhookPollMs?: number;
  /** false: this instance never takes over another's run (tests of the CLI taking one over). */
  takeOverRuns?: boolean;
  /** How long a connection may send nothing before its first request is closed (default 60 s). */
  idleConnectionMs?: number;
  /** The engine thread's module (tests start the bundle's: the source loads through tsx, far slower); by default the one beside the server's. */
  engineThreadEntry?: URL;
}

/** Wires every layer onto one http.Server: REST, health, metrics and GraphQL (HTTP + WebSocket) share the port. */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  ensureWritableFolder(config.downloadRoot, { variable: 'DOWNLOAD_ROOT_FOLDER', value: config.downloadRoot, example: './downloads' });
  const orm = await initOrm(config.dbUrl, driverLogTo(logger)).catch((error: unknown) => {
    throw databaseStartError(error, config.dbUrl);
  });
  const clockOffsetMs = databaseClockOffsetMs(orm);
  if (Math.abs(clockOffsetMs) > CLOCK_OFFSET_WARN_MS) {
    logger.warn({ clockOffsetMs }, "this host's clock differs from the database's: leases, claims, schedules and webhook retries follow the database's; log times follow this host's");
  }
  let redis: RedisTransport | undefined;
  try {
    redis = !options.eventTarget && config.redisUrl ? await createRedisTransport(config.redisUrl, await readDeploymentId(orm), logger) : undefined;
  } catch (error) {
    await orm.close();
    throw error;
  }
  if (isPostgres(orm) && !config.redisUrl && !options.eventTarget) {
    logger.warn('PostgreSQL without REDIS_URL: syncProgress subscribers see only the runs of this instance');
  }
  const secrets = createSecretBox(config.secretsKey);
  await checkStoredSecrets(orm, secrets).catch(async (error: unknown) => {
    await redis?.close();
    await orm.close();
    throw error;
  });
  const connectors = createRunConnectors(config, secrets, (jobId, cause) => jobMetrics.retry(jobId, cause));
  const bus = createEventBus({
    eventTarget: options.eventTarget ?? redis?.eventTarget,
    onListenerError: (err) => logger.error({ err }, 'event listener failed'),
  });
  const metrics = createMetrics({
    beforeScrape: () => jobMetrics.prune().catch((err: unknown) => logger.warn({ err }, 'could not prune the metrics of deleted jobs')),
  });
  const committedBytes = followCommittedBytes(bus);
  const jobMetrics = createJobMetrics(metrics.registry, bus, committedBytes, orm, redis);
  const syncMetrics = bridgeSyncMetrics(committedBytes, metrics.registry);
  const engineThread = !options.execute && config.syncThread ? createThreadRunExecutor({ orm, bus, config, logger, onRetry: jobMetrics.retry, entry: options.engineThreadEntry }) : undefined;
  const execute = options.execute ?? engineThread ?? createRunExecutor({ orm, bus, config, logger, connectors, onRetry: jobMetrics.retry });
  const webhooks = createDeliveryLoop({
    orm,
    config: config.webhooks,
    proxy: config.proxy,
    logger,
    pollMs: options.webhookPollMs,
    onOutcome: jobMetrics.webhookOutcome,
  });
  const runner = createJobRunner({
    orm,
    execute,
    logger,
    minIntervalMs: config.minScheduleIntervalMs,
    instanceId: config.instanceId,
    leaseTtlMs: config.runLeaseTtlMs,
    bus,
    takeOverRuns: options.takeOverRuns,
    databaseOutageWaitMs: config.databaseOutageWaitMs,
    onRunFinished: async (run, stop) => {
      await notifyRunFinished(orm, run.runId, { maxWaitMs: config.databaseOutageWaitMs, stop });
      await jobMetrics.runFinished(run);
    },
    onRunSkipped: (jobId) => {
      jobMetrics.runSkipped(jobId);
      syncMetrics.runSkipped();
    },
    onHelpEnded: (runId) => committedBytes.helpEnded(runId),
  });
  const services = createServices({
    orm,
    runner,
    defaultPageSize: config.defaultPageSize,
    webhookAllowedHosts: config.webhooks.allowedHosts,
    minScheduleIntervalMs: config.minScheduleIntervalMs,
    databaseOutageWaitMs: config.databaseOutageWaitMs,
    downloadRoot: config.downloadRoot,
    logger,
    secrets,
    syncConcurrency: config.syncConcurrency,
    connectors: { forget: (jobId: string) => (connectors.forget(jobId), engineThread?.forget(jobId)) },
    onJobsDeleted: (jobIds) => jobIds.forEach((jobId) => bus.jobDeleted(jobId)),
    previewSync: (job, signal) => previewSync({ orm, connectors, downloadRoot: config.downloadRoot, listConcurrency: config.listConcurrency }, job, signal),
  });
  const historyPruner = createRunHistoryPruner({ orm, logger, policy: config.runHistory });
  const countFolder = createObjectCountFolder({ orm, logger });

  const graphqlDeps = { services, bus, config, logger };
  const yoga = buildYoga(graphqlDeps);
  const originPolicy = createOriginPolicy(config.corsOrigins ?? []);
  const mounts: Mount[] = [
    { path: GRAPHQL_PATH, handle: (req, res) => yoga(req, res), mediaTypes: GRAPHQL_MEDIA_TYPES, errorBody: graphqlErrorBody },
  ];
  const router = createRouter({
    routes: [...healthRoutes(orm, redis), metrics.route, ...restRoutes, ...dashboardRoutes({ tokenRequired: Boolean(config.apiToken) })],
    mounts,
    services,
    apiToken: config.apiToken,
    logger,
    metrics,
    originPolicy,
    mapError: mapRestError,
  });
  const server = createServer(withCompression(router.handle));
  closeSilentConnections(server, options.idleConnectionMs ?? IDLE_CONNECTION_MS);
  // Upgrades are taken once listening (graphql/ws.ts); start() reports a listen error as one line.
  let webSockets: ReturnType<typeof attachGraphqlWs> | undefined;

  let started: Promise<{ port: number }> | undefined;
  let stopped: Promise<void> | undefined;

  async function listen(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => reject(hostError(error, config.host) ?? portError(error, config.port) ?? error);
      server.once('error', fail);
      server.listen(config.port, config.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    webSockets = attachGraphqlWs(server, yoga, { ...graphqlDeps, originPolicy });
    const { port } = server.address() as AddressInfo;
    await runner.start();
    webhooks.start();
    if (!config.webhooks.secret) logger.warn('WEBHOOK_SECRET is not set: webhook deliveries are sent unsigned (no X-DSS-Signature)');
    historyPruner.start();
    countFolder.start();
    logger.info({ host: config.host, port }, 'listening');
    return { port };
  }

  async function closeServer(): Promise<void> {
    router.drain();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => server.closeAllConnections(), options.stopGraceMs ?? 5_000);
    try {
      await webSockets?.close();
      await closed;
    } finally {
      clearTimeout(grace);
    }
  }

  let stopPending: string | undefined;
  async function shutdown(): Promise<void> {
    stopPending = 'in-flight requests and subscriptions';
    if (server.listening) await closeServer();
    else await webSockets?.close();
    stopPending = 'run history pruning and object counts';
    await historyPruner.stop();
    await countFolder.stop();
    stopPending = 'runs (their last writes and lease hand-back)';
    await runner.stop();
    await engineThread?.close();
    stopPending = 'webhook deliveries';
    await webhooks.stop();
    connectors.close();
    syncMetrics.stop();
    jobMetrics.stop();
    committedBytes.stop();
    stopPending = 'closing Redis and the database';
    await redis?.close();
    await orm.close();
    stopPending = undefined;
    logger.info('stopped');
  }

  const app: App = {
    server,
    orm,
    bus,
    runner,
    historyPruner,
    services,
    config,
    logger,
    webhooks,
    engineThread,
    start: () => (started ??= listen()),
    stop: () => (stopped ??= shutdown()),
    stopPending: () => stopPending,
    [Symbol.asyncDispose]: () => app.stop(),
  };
  return app;
}

/**
 * A listen error that HOST caused, as the start-up line naming it (main.ts prints a ConfigError as
 * is): the contract's "one clear line naming the variable … and an example of a good value".
 */
function hostError(error: NodeJS.ErrnoException, host: string): ConfigError | null {
  const example = 'e.g. 0.0.0.0 (every interface) or 127.0.0.1';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' || error.code === 'EAI_NONAME') {
    return new ConfigError(`invalid HOST (got ${quoteValue(host)}): no address found for this name, ${example}`);
  }
  if (error.code === 'EADDRNOTAVAIL') return new ConfigError(`invalid HOST (got ${quoteValue(host)}): not an address of this machine, ${example}`);
  return null;
}

/** A listen that fails on the port itself: the variable to change named. */
function portError(error: NodeJS.ErrnoException, port: number): ConfigError | null {
  if (error.code === 'EADDRINUSE') return new ConfigError(`invalid PORT (got "${port}"): the port is in use (EADDRINUSE), e.g. ${port === 5000 ? 5001 : 5000}, or 0 for any free port`);
  if (error.code === 'EACCES') return new ConfigError(`invalid PORT (got "${port}"): this user may not listen on it (EACCES), e.g. 5000 (ports under 1024 need privileges)`);
  return null;
}

/** A database that cannot be reached, or refuses DB_URL's login, at start: DB_URL named, its password hidden. */
function databaseStartError(error: unknown, dbUrl: string): unknown {
  const reason = error instanceof Error ? error.message : String(error);
  const shown = quoteValue(withoutPassword(dbUrl));
  if (isDatabaseUnreachable(error)) return new ConfigError(`cannot reach the database of DB_URL (got ${shown}): ${reason}`);
  if (isDatabaseLoginRefused(error)) return new ConfigError(`invalid DB_URL (got ${shown}): ${reason}, e.g. postgresql://user:password@host:5432/dbname`);
  return error;
}
