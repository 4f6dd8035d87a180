import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { driverLogTo } from '../../src/db/driver-log.js';
import { isDatabaseUnreachable } from '../../src/db/database-outage.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { createEventBus } from '../../src/events/event-bus.js';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import { executeSyncRun } from '../../src/sync/run/sync-run.js';
import type { ConnectorCache } from '../../src/sync/transport/connector-cache.js';
import { createS3Connector, type S3Connector } from '../../src/sync/transport/s3-connector.js';
import { seededBytes } from '../helpers/files.js';
import { captureLogs } from '../helpers/logs.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';

describe('a helper session whose claims give up on the database (DB_OUTAGE_WAIT)', () => {
  it('rejects with the database error and still releases its connector lease', async () => {
    await using relay = await startRelayedPostgres();
    await using s3 = await startS3Server();
    const objects: Array<[string, Buffer]> = [
      ['a.bin', seededBytes(10_000, 1)],
      ['b.bin', seededBytes(10_001, 2)],
    ];
    const etags = await Promise.all(objects.map(async ([key, body]) => (await s3.putObject(key, body)).etag));
    const dir = await mkdtemp(join(tmpdir(), 'dss-helper-give-up-'));
    const orm = await initOrm(relay.dbUrl, driverLogTo(captureLogs().logger));
    try {
      // One object at a time: both rows come in one claim, and the next claim waits for the second's
      // slot, so it always comes after the first GET has cut the database, and gives up after DB_OUTAGE_WAIT.
      const config = loadConfig({
        DB_URL: relay.dbUrl,
        DOWNLOAD_ROOT_FOLDER: join(dir, 'downloads'),
        SYNC_CONCURRENCY: '1',
        DB_OUTAGE_WAIT: '1s',
        AWS_ENDPOINT_URL_S3: s3.s3Config.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        AWS_REGION: s3.s3Config.region,
        LOG_LEVEL: 'silent',
        INSTANCE_ID: 'helper',
      });
      const jobId = randomUUID();
      await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'helper give-up', connectorType: 'S3', bucketName: s3.bucket, schedule: 'daily' }));
      // The holder (another instance) listed the objects as rows of its shared run.
      const run = new SyncRun({ jobId, trigger: 'MANUAL', status: 'RUNNING', startedAt: new Date(), instanceId: 'holder', leaseOwner: 'holder', sharesWork: true });
      await orm.em.fork().persistAndFlush(run);
      const listed = objects.map(([key, body], i) => ({ key, size: body.length, etag: etags[i]!, lastModified: new Date(), checksumAlgorithms: [] }));
      await createCheckpointStore(orm, jobId, run.id, 'holder', 'holder/session').upsert(listed.map((remote) => ({ remote, stored: undefined, lastPosition: 0 })));

      // The database goes down as the helper fetches its first claimed object, and stays down.
      const inner = createS3Connector({ s3: s3.s3Config, retry: config.retry, maxSockets: 8 });
      const connector: S3Connector = {
        ...inner,
        async getRange(bucket, key, range, signal) {
          await relay.cut();
          return inner.getRange(bucket, key, range, signal);
        },
      };
      let leases = 0;
      let releases = 0;
      const connectors: ConnectorCache = {
        acquire: () => {
          leases += 1;
          return { connector, release: () => void (releases += 1) };
        },
        forget: () => {},
        size: () => 1,
        close: () => {},
      };

      const helping = executeSyncRun({ orm, bus: createEventBus(), config, logger: pino({ level: 'silent' }), connectors }, run.id, new AbortController().signal, { helper: true });
      const error: unknown = await helping.then(() => undefined, (thrown: unknown) => thrown);
      inner.destroy();

      expect(isDatabaseUnreachable(error), String(error)).toBe(true);
      expect({ leases, releases }).toEqual({ leases: 1, releases: 1 });
    } finally {
      await orm.close(true);
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
