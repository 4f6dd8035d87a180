import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/env.js';
import { createLogger, type Logger } from './config/logger.js';
import { initOrm, isPostgres, type Orm } from './db/orm.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { createRedisTransport, type RedisTransport } from './events/redis-transport.js';
import { attachGraphqlWs } from './graphql/ws.js';
import { buildYoga, GRAPHQL_PATH } from './graphql/yoga.js';
import { healthRoutes } from './http/health.js';
import { createMetrics } from './http/metrics.js';
import { createRouter, type Mount } from './http/router.js';
import { bridgeSyncMetrics } from './http/sync-metrics.js';
import { mapRestError } from './rest/errors.js';
import { restRoutes } from './rest/routes.js';
import type { JobRunner } from './scheduler/job-runner-types.js';
import { createJobRunner } from './scheduler/job-runner.js';
import { createServices, type Services } from './services/services.js';
import { createRunExecutor, type RunExecutor } from './sync/run-executor.js';

export interface App {
  server: Server;
  orm: Orm;
  bus: EventBus;
  runner: JobRunner;
  services: Services;
  config: Config;
  logger: Logger;
  /** Listens on config.host:config.port (0 = any free port), then starts the schedules. */
  start(): Promise<{ port: number }>;
  /** Stops accepting, finishes in-flight requests, cancels syncs at a chunk boundary, closes the database. */
  stop(): Promise<void>;
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
}

/** Wires every layer onto one http.Server: REST, health, metrics and GraphQL (HTTP + WebSocket) share the port. */
export async function buildApp(config: Config, options: BuildAppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const orm = await initOrm(config.dbUrl);
  let redis: RedisTransport | undefined;
  try {
    redis = !options.eventTarget && config.redisUrl ? await createRedisTransport(config.redisUrl, logger) : undefined;
  } catch (error) {
    await orm.close();
    throw error;
  }
  if (isPostgres(orm) && !config.redisUrl && !options.eventTarget) {
    logger.warn('PostgreSQL without REDIS_URL: syncProgress subscribers see only the runs of this instance');
  }
  const bus = createEventBus({
    eventTarget: options.eventTarget ?? redis?.eventTarget,
    onListenerError: (err) => logger.error({ err }, 'event listener failed'),
  });
  const execute = options.execute ?? createRunExecutor({ orm, bus, config, logger });
  const runner = createJobRunner({ orm, execute, logger, instanceId: config.instanceId, leaseTtlMs: config.runLeaseTtlMs });
  const services = createServices({ orm, runner, defaultPageSize: config.defaultPageSize });

  const metrics = createMetrics();
  const stopSyncMetrics = bridgeSyncMetrics(bus, metrics.registry);
  const graphqlDeps = { services, bus, config, logger };
  const yoga = buildYoga(graphqlDeps);
  const mounts: Mount[] = [{ path: GRAPHQL_PATH, handle: (req, res) => yoga(req, res) }];
  const router = createRouter({
    routes: [...healthRoutes(orm, redis), metrics.route, ...restRoutes],
    mounts,
    services,
    apiToken: config.apiToken,
    logger,
    metrics,
    mapError: mapRestError,
  });
  const server = createServer(router.handle);
  // Attached once listening: the WebSocket server re-emits a listen error (EADDRINUSE) and graphql-ws
  // would print it with a stack trace; start() reports it as one line instead.
  let webSockets: ReturnType<typeof attachGraphqlWs> | undefined;

  let started: Promise<{ port: number }> | undefined;
  let stopped: Promise<void> | undefined;

  async function listen(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    webSockets = attachGraphqlWs(server, yoga, graphqlDeps);
    const { port } = server.address() as AddressInfo;
    await runner.start();
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

  async function shutdown(): Promise<void> {
    if (server.listening) await closeServer();
    else await webSockets?.close();
    await runner.stop();
    stopSyncMetrics();
    await redis?.close();
    await orm.close();
    logger.info('stopped');
  }

  const app: App = {
    server,
    orm,
    bus,
    runner,
    services,
    config,
    logger,
    start: () => (started ??= listen()),
    stop: () => (stopped ??= shutdown()),
    [Symbol.asyncDispose]: () => app.stop(),
  };
  return app;
}
