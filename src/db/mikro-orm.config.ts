import type { Options } from '@mikro-orm/core';
import type { DbTarget } from '../config/db-url.js';
import { JobSchema } from './entities/job.entity.js';
import { SyncObjectSchema } from './entities/sync-object.entity.js';
import { SyncRunSchema } from './entities/sync-run.entity.js';
import { WebhookAttemptSchema } from './entities/webhook-attempt.entity.js';
import { WebhookDeliverySchema } from './entities/webhook-delivery.entity.js';

/**
 * Released migrations, oldest first. The names alone are what a start compares with the migrations
 * table; the classes (migrations/index.ts, and `@mikro-orm/migrations` they extend) load only when
 * one is pending.
 */
export const MIGRATION_NAMES = [
  'Migration20261126000000',
  'Migration20261129100000',
  'Migration20261129200000',
  'Migration20261129400000',
  'Migration20261129500000',
  'Migration20261129700000',
  'Migration20261129900000',
  'Migration20261130100000',
  'Migration20261130200000',
  'Migration20261201100000',
  'Migration20261201200000',
  'Migration20261201300000',
  'Migration20261201400000',
  'Migration20261202100000',
  'Migration20261202200000',
  'Migration20261203100000',
  'Migration20261204100000',
  'Migration20261204200000',
];

/** Only the driver of the configured database is loaded (the other one's modules cost start-up time and memory). */
export async function buildOrmConfig(target: DbTarget, overrides: Partial<Options> = {}): Promise<Options> {
  const connection: Partial<Options> =
    target.kind === 'postgresql'
      ? { driver: (await import('@mikro-orm/postgresql')).PostgreSqlDriver, clientUrl: target.url, ...inSchema(target.schema) }
      : { driver: (await import('@mikro-orm/better-sqlite')).BetterSqliteDriver, dbName: target.file };
  return {
    ...connection,
    entities: [JobSchema, SyncRunSchema, SyncObjectSchema, WebhookDeliverySchema, WebhookAttemptSchema],
    migrations: { transactional: true, allOrNothing: true, snapshot: false, silent: true },
    forceUtcTimezone: true,
    debug: false,
    ...overrides,
    driverOptions: { ...connection.driverOptions, ...overrides.driverOptions },
  } as Options;
}

/**
 * `?schema=`: MikroORM qualifies the entities' tables and its migrations table with it; the
 * migrations and the hand-written queries name tables unqualified, so every connection's
 * search_path is that schema too (knex sets it as a connection opens).
 */
function inSchema(schema: string | undefined): Partial<Options> {
  return schema ? { schema, driverOptions: { searchPath: [schema] } } : {};
}
