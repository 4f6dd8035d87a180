import type { Options } from '@mikro-orm/core';
import type { DbTarget } from '../config/db-url.js';
import { JobSchema } from './entities/job.entity.js';
import { SyncObjectSchema } from './entities/sync-object.entity.js';
import { SyncRunSchema } from './entities/sync-run.entity.js';
import { WebhookAttemptSchema } from './entities/webhook-attempt.entity.js';
import { WebhookDeliverySchema } from './entities/webhook-delivery.entity.js';
import { Migration20261126000000 } from './migrations/Migration20261126000000.js';
import { Migration20261129100000 } from './migrations/Migration20261129100000.js';
import { Migration20261129200000 } from './migrations/Migration20261129200000.js';
import { Migration20261129400000 } from './migrations/Migration20261129400000.js';
import { Migration20261129500000 } from './migrations/Migration20261129500000.js';
import { Migration20261129700000 } from './migrations/Migration20261129700000.js';
import { Migration20261129900000 } from './migrations/Migration20261129900000.js';
import { Migration20261130100000 } from './migrations/Migration20261130100000.js';
import { Migration20261130200000 } from './migrations/Migration20261130200000.js';
import { Migration20261201100000 } from './migrations/Migration20261201100000.js';

/** Released migrations, oldest first. Listed explicitly so the same list works from src/ and dist/. */
export const MIGRATIONS = [
  { name: 'Migration20261126000000', class: Migration20261126000000 },
  { name: 'Migration20261129100000', class: Migration20261129100000 },
  { name: 'Migration20261129200000', class: Migration20261129200000 },
  { name: 'Migration20261129400000', class: Migration20261129400000 },
  { name: 'Migration20261129500000', class: Migration20261129500000 },
  { name: 'Migration20261129700000', class: Migration20261129700000 },
  { name: 'Migration20261129900000', class: Migration20261129900000 },
  { name: 'Migration20261130100000', class: Migration20261130100000 },
  { name: 'Migration20261130200000', class: Migration20261130200000 },
  { name: 'Migration20261201100000', class: Migration20261201100000 },
];

/** Only the driver of the configured database is loaded (the other one's modules cost start-up time and memory). */
export async function buildOrmConfig(target: DbTarget, overrides: Partial<Options> = {}): Promise<Options> {
  const connection: Partial<Options> =
    target.kind === 'postgresql'
      ? { driver: (await import('@mikro-orm/postgresql')).PostgreSqlDriver, clientUrl: target.url }
      : { driver: (await import('@mikro-orm/better-sqlite')).BetterSqliteDriver, dbName: target.file };
  return {
    ...connection,
    entities: [JobSchema, SyncRunSchema, SyncObjectSchema, WebhookDeliverySchema, WebhookAttemptSchema],
    migrations: { migrationsList: MIGRATIONS, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    forceUtcTimezone: true,
    debug: false,
    ...overrides,
  } as Options;
}
