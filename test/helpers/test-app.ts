import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger, type Logger } from '../../src/config/logger.js';
import type { Orm } from '../../src/db/orm.js';
import type { EventBus } from '../../src/events/event-bus.js';
import type { JobRunner } from '../../src/scheduler/job-runner-types.js';
import { migratedDbUrl } from './db-url.js';
import { builtEngineThread } from './service-bundle.js';
import { buildApp, type App, type BuildAppOptions } from '../../src/server.js';
import type { Services } from '../../src/services/services.js';

export interface TestApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  graphqlUrl: string;
  /** `ws://127.0.0.1:<port>/graphql` */
  wsUrl: string;
  config: Config;
  orm: Orm;
  services: Services;
  bus: EventBus;
  runner: JobRunner;
  /** Holds `scheduler.db` and `downloads/`; kept when the test that started the app fails. */
  tmpDir: string;
  /** The app's error-level log lines (the last 100), when the test gave no logger: printed if its test fails. */
  errorLines: string[];
  app: App;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface TestAppOptions {
  /**
   * Environment variables merged over the test defaults, then parsed by loadConfig like a real start.
   * The defaults differ from a real start's in one setting: SYNC_THREAD is false (see below).
   */
  env?: Record<string, string>;
  /** A logger to capture log lines; by default the app's errors only, kept in `errorLines`. */
  logger?: Logger;
  /** Swaps parts of the app: a hand-driven `execute` instead of the sync engine, another bus `eventTarget`. */
  build?: Pick<BuildAppOptions, 'execute' | 'eventTarget' | 'webhookPollMs' | 'takeOverRuns' | 'idleConnectionMs' | 'engineThreadEntry'>;
}

/** S3 at a closed loopback port: a run fails fast (no retries) and nothing leaves the machine. */
const OFFLINE_S3_ENV = {
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
  S3_FORCE_PATH_STYLE: 'true',
  AWS_REGION: 'us-east-1',
  RETRY_COUNT: '0',
};

/**
 * A real server on an ephemeral loopback port with a new, migrated database (a SQLite file; in the
 * PostgreSQL pass a new PostgreSQL database; see `migratedDbUrl`), opened by initOrm as at any start.
 * Without AWS_ENDPOINT_URL_S3/S3_ENDPOINT in `env`, S3 points at a closed loopback port (never real AWS).
 * Started inside a test, it must be stopped by that test (`await using app = await startTestApp()`);
 * otherwise the test fails. Its temp dir is removed on stop unless the test failed.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'dss-test-'));
  const env = options.env ?? {};
  // A job created in a test starts a run at once: unless the test brings its own S3 server, point
  // S3 at a closed loopback port so a run fails fast instead of reaching for real AWS.
  const offlineS3 = env.AWS_ENDPOINT_URL_S3 || env.S3_ENDPOINT ? {} : OFFLINE_S3_ENV;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DB_URL: env.DB_URL ?? (await migratedDbUrl(tmpDir)),
    DOWNLOAD_ROOT_FOLDER: join(tmpDir, 'downloads'),
    LOG_LEVEL: 'silent',
    // Runs on the test's own thread unless the test asks for the engine thread (SYNC_THREAD: 'true'):
    // a thread costs ~0.5 s of CPU to start even from the bundle, and the suite starts ~100 apps.
    SYNC_THREAD: 'false',
    ...offlineS3,
    ...env,
  });
  const errorLines: string[] = [];
  const keepError = (line: string) => {
    errorLines.push(line.trimEnd());
    if (errorLines.length > 100) errorLines.shift();
  };
  const logger = options.logger ?? createLogger('error', { write: keepError });
  // An engine thread starts from the pass's bundle, as the built service's does: ~0.5 s of CPU
  // against ~1.6 s for tsx loading the engine's source afresh in every thread.
  const engineThreadEntry = options.build?.engineThreadEntry ?? (config.syncThread ? builtEngineThread() : undefined);
  const app = await buildApp(config, { ...options.build, engineThreadEntry, logger, stopGraceMs: 2_000 });
  const { port } = await app.start();

  let stopped = false;
  let inTest = false;
  const stop = async () => {
    await app.stop();
    if (!stopped && !inTest) await rm(tmpDir, { recursive: true, force: true });
    stopped = true;
  };
  try {
    onTestFinished(async ({ task }) => {
      const leaked = !stopped;
      if (leaked) await stop();
      if (task.result?.state === 'fail') console.error(`test failed; its app's files are kept in ${tmpDir}${errorLines.length ? `; its errors:\n${errorLines.join('\n')}` : ''}`);
      else await rm(tmpDir, { recursive: true, force: true });
      if (leaked) throw new Error('startTestApp: the test did not stop its app (use `await using app = await startTestApp()`)');
    });
    inTest = true;
  } catch {
    // Started in a beforeAll/afterAll hook: the caller stops it in the matching hook.
  }

  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    config,
    orm: app.orm,
    services: app.services,
    bus: app.bus,
    runner: app.runner,
    tmpDir,
    errorLines,
    app,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Closes the app's database while its API keeps serving (an outage as the API sees it). The app's
 * own timers (scheduler ticks, webhook polls, history pruning) are stopped first: one caught
 * mid-query by the close waits out the pool's 60 s acquire timeout on PostgreSQL (tarn leaves
 * acquires queued during destroy), and each would log failures of its own.
 */
export async function closeDatabaseUnderApi(app: TestApp): Promise<void> {
  await app.app.runner.stop();
  await app.app.webhooks.stop();
  await app.app.historyPruner.stop();
  await app.orm.close(true);
}
