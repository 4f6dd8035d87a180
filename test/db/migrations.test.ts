import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../src/config/db-url.js';
import { buildOrmConfig, MIGRATION_NAMES } from '../../src/db/mikro-orm.config.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { readDeploymentId } from '../../src/db/deployment-id.js';
import { initOrm } from '../../src/db/orm.js';
import { createLogger } from '../../src/config/logger.js';
import { createDeliveryLoop } from '../../src/notify/delivery-loop.js';
import { freshDbUrl, onPostgres } from '../helpers/db-url.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { runCli } from '../sync/sync-cli.js';

async function appliedNames(orm: MikroORM): Promise<string[]> {
  const rows: Array<{ name: string }> = await orm.em.getConnection().execute('select name from mikro_orm_migrations order by id');
  return rows.map((row) => row.name);
}

describe('migrations at start-up', () => {
  it('the names a start compares with the migrations table are the released migration classes, in order', () => {
    expect(MIGRATIONS.map((migration) => migration.name)).toEqual(MIGRATION_NAMES);
    expect(MIGRATIONS.map((migration) => migration.class.name)).toEqual(MIGRATION_NAMES);
  });

  it('applies every migration to a new database, the missing ones to an older one, and nothing to a current one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      const url = await freshDbUrl(dir);
      const names = MIGRATIONS.map((migration) => migration.name);

      // A database left by an older release: only the first three migrations applied.
      const config = await buildOrmConfig(parseDbUrl(url));
      const older = await MikroORM.init({ ...config, extensions: [Migrator], migrations: { ...config.migrations, migrationsList: MIGRATIONS } });
      await older.getMigrator().up({ to: names[2] });
      expect(await appliedNames(older)).toEqual(names.slice(0, 3));
      await older.close(true);

      const upgraded = await initOrm(url);
      expect(await appliedNames(upgraded)).toEqual(names);
      // The table the last migration creates answers.
      expect(await upgraded.em.getConnection().execute('select count(*) as n from object_counts')).toEqual([{ n: 0 }]);
      await upgraded.close(true);

      const current = await initOrm(url);
      expect(await appliedNames(current)).toEqual(names);
      await current.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('each database has a deployment id of its own, the same at every start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      const [urlA, urlB] = [await freshDbUrl(dir, 'a.db'), await freshDbUrl(dir, 'b.db')];
      const read = async (url: string) => {
        const orm = await initOrm(url);
        try {
          return await readDeploymentId(orm);
        } finally {
          await orm.close(true);
        }
      };
      const idA = await read(urlA);
      expect(idA).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await read(urlA)).toBe(idA);
      expect(await read(urlB)).not.toBe(idA);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a database that a newer release migrated is refused, by the service and the CLI, and left as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      const url = await freshDbUrl(dir);
      const migrated = await initOrm(url);
      await migrated.em.getConnection().execute(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20991231000000', current_timestamp)`);
      await migrated.close(true);
      const refusal = 'the database was migrated by a newer release (Migration20991231000000): start that release or newer';

      await expect(initOrm(url)).rejects.toThrow(refusal);
      const cli = await runCli(['--job', '11111111-1111-4111-8111-111111111111'], { DB_URL: url, LOG_LEVEL: 'silent', DOWNLOAD_ROOT_FOLDER: join(dir, 'dl') });
      expect({ code: cli.code, stderr: cli.stderr.trim() }).toEqual({ code: 1, stderr: `sync failed: ${refusal}` });

      const config = await buildOrmConfig(parseDbUrl(url));
      const untouched = await MikroORM.init(config);
      expect(await appliedNames(untouched)).toEqual([...MIGRATION_NAMES, 'Migration20991231000000']);
      await untouched.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!onPostgres)('instances of this release starting together on a new database all start, each migration applied once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      const url = await freshDbUrl(dir);
      const instances = await Promise.all([initOrm(url), initOrm(url), initOrm(url)]);
      expect(await appliedNames(instances[0])).toEqual(MIGRATION_NAMES);
      // One deployment: its Redis channels are the same for all of them.
      expect(new Set(await Promise.all(instances.map(readDeploymentId))).size).toBe(1);
      await Promise.all(instances.map((orm) => orm.close(true)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs that ended before the webhook-queue mark was added are not notified again; a run still going is, once it ends', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-migrations-'));
    try {
      await using receiver = await startWebhookReceiver();
      const url = await freshDbUrl(dir);
      const names = MIGRATIONS.map((migration) => migration.name);
      const config = await buildOrmConfig(parseDbUrl(url));
      const older = await MikroORM.init({ ...config, extensions: [Migrator], migrations: { ...config.migrations, migrationsList: MIGRATIONS } });
      // The release before the webhook-queue mark.
      await older.getMigrator().up({ to: names[names.indexOf('Migration20261203100000') - 1] });
      const job = new Job({ id: '0b6f1c2e-7a3d-4e5f-9a8b-1c2d3e4f5a6b', name: 'upgraded', connectorType: 'S3', bucketName: 'bkt', schedule: 'hourly' });
      job.webhooks = [{ url: receiver.url, events: ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELLED'] }];
      await older.em.fork().insert(job);
      const connection = older.em.getConnection();
      for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED', 'RUNNING']) {
        await connection.execute(
          `insert into sync_runs (job_id, trigger, status, objects_total, objects_done, objects_failed, objects_skipped, bytes_total, bytes_done, skipped_count, created_at)
           select id, 'MANUAL', ?, 0, 0, 0, 0, 0, 0, 0, created_at from jobs where id = ?`,
          [status, job.id],
        );
      }
      await older.close(true);

      const upgraded = await initOrm(url);
      await using loop = createDeliveryLoop({ orm: upgraded, config: { allowedHosts: null, timeoutMs: 5_000, retryBaseMs: 1_000 }, logger: createLogger('silent') });
      await loop.poll();
      expect(receiver.received).toHaveLength(0);
      await upgraded.em.getConnection().execute(`update sync_runs set status = 'SUCCEEDED' where status = 'RUNNING'`);
      await loop.poll();
      expect(receiver.received.map((hook) => hook.json.event)).toEqual(['RUN_SUCCEEDED']);
      await loop.stop();
      await upgraded.close(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
