import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { loadConfig, type Config, type FileSyncMode } from '../../src/config/env.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm, type Orm } from '../../src/db/orm.js';
import { createEventBus, type EventBus } from '../../src/events/event-bus.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import type { OpenPartial } from '../../src/sync/local/local-files.js';
import type { OpenFileSystemSync } from '../../src/sync/local/small-file-sync.js';
import { createS3Connector, type S3Connector } from '../../src/sync/transport/s3-connector.js';
import { executeSyncRun, type SyncRunResult } from '../../src/sync/run/sync-run.js';
import type { ProcessSlots } from '../../src/sync/transfer/process-slots.js';
import type { SyncTuning } from '../../src/sync/transfer/sync-tuning.js';
import { migratedDbUrl } from '../helpers/db-url.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

export const KiB = 1024;
export const CHUNK = 64 * KiB;

export interface SyncFixture extends AsyncDisposable {
  dir: string;
  /** The SQLite file; meaningful only when `config.dbUrl` is `sqlite:` (not in the PostgreSQL pass). */
  dbFile: string;
  s3: TestS3Server;
  orm: Orm;
  bus: EventBus;
  config: Config;
  jobId: string;
  /** `<downloadRoot>/<jobId>` */
  root: string;
  events: SyncProgressEvent[];
  /** Creates a RUNNING SyncRun row and executes it. */
  sync(options?: {
    signal?: AbortSignal;
    connector?: S3Connector;
    tuning?: SyncTuning;
    openPartial?: OpenPartial;
    openFileSystemSync?: OpenFileSystemSync;
    /** The process's transfer bounds, shared with other runs (as the run executor shares them); else the run's own. */
    slots?: ProcessSlots;
  }): Promise<SyncRunResult & { runId: number; run: SyncRun }>;
  createRun(): Promise<number>;
  rows(): Promise<SyncObject[]>;
  row(key: string): Promise<SyncObject | null>;
  /** A connector through another endpoint (e.g. a fault proxy), with a short socket timeout. */
  connectorVia(endpoint: string, overrides?: { socketTimeoutMs?: number; retryCount?: number }): S3Connector;
}

export async function startSyncFixture(
  options: { chunkSize?: number; concurrency?: number; prefix?: string; retryCount?: number; bucket?: string; fileSync?: FileSyncMode } = {},
): Promise<SyncFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'sync-test-'));
  const s3 = await startS3Server({ bucket: options.bucket });
  const dbFile = join(dir, 'db.sqlite');
  const dbUrl = await migratedDbUrl(dir, 'db.sqlite');
  const orm = await initOrm(dbUrl);
  const bus = createEventBus();
  // Parsed like a real start, so the fixture cannot hold a configuration the service would refuse.
  const config = loadConfig({
    DB_URL: dbUrl,
    DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
    S3_CHUNK_SIZE: String(options.chunkSize ?? CHUNK),
    RETRY_COUNT: String(options.retryCount ?? 4),
    RETRY_DELAY: '0.005',
    RETRY_BACKOFF: '2',
    SYNC_CONCURRENCY: String(options.concurrency ?? 4),
    AWS_ENDPOINT_URL_S3: s3.s3Config.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: s3.s3Config.region,
    LOG_LEVEL: 'silent',
    INSTANCE_ID: 'test-instance',
    FILE_SYNC: options.fileSync,
  });
  const jobId = randomUUID();
  await orm.em.fork().persistAndFlush(
    new Job({ id: jobId, name: 'test job', connectorType: 'S3', bucketName: s3.bucket, prefix: options.prefix ?? '', schedule: 'hourly' }),
  );
  const events: SyncProgressEvent[] = [];
  const unlisten = bus.on((event) => events.push(event), jobId);
  const logger = pino({ level: 'silent' });
  const connectors: S3Connector[] = [];

  const createRun = async () => {
    const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'RUNNING', startedAt: new Date() });
    await orm.em.fork().persistAndFlush(run);
    return run.id;
  };

  const fixture: SyncFixture = {
    dir,
    dbFile,
    s3,
    orm,
    bus,
    config,
    jobId,
    root: join(config.downloadRoot, jobId),
    events,
    createRun,
    async sync({ signal, connector, tuning, openPartial, openFileSystemSync, slots } = {}) {
      const runId = await createRun();
      const result = await executeSyncRun(
        { orm, bus, config, logger, connector, tuning, openPartial, openFileSystemSync, slots },
        runId,
        signal ?? new AbortController().signal,
      );
      const run = await orm.em.fork().findOneOrFail(SyncRun, { id: runId });
      return { ...result, runId, run };
    },
    rows: () => orm.em.fork().find(SyncObject, { jobId }, { orderBy: { key: 'asc' } }),
    row: (key) => orm.em.fork().findOne(SyncObject, { jobId, key }),
    connectorVia(endpoint, overrides = {}) {
      const connector = createS3Connector({
        s3: { ...s3.s3Config, endpoint },
        retry: { ...config.retry, count: overrides.retryCount ?? config.retry.count },
        maxSockets: 32,
        socketTimeoutMs: overrides.socketTimeoutMs ?? 5_000,
      });
      connectors.push(connector);
      return connector;
    },
    async [Symbol.asyncDispose]() {
      unlisten();
      for (const connector of connectors) connector.destroy();
      await orm.close();
      await s3.stop();
      if (!inTest) await rm(dir, { recursive: true, force: true });
    },
  };
  // Inside a test, the temp dir (database, downloads) is removed once the test passed, and kept
  // for a look when it failed.
  let inTest = false;
  try {
    onTestFinished(async ({ task }) => {
      if (task.result?.state === 'fail') console.error(`test failed; its sync fixture's files are kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    });
    inTest = true;
  } catch {
    // Started in a hook: removed on dispose.
  }
  return fixture;
}
