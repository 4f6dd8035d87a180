import { Migration } from '@mikro-orm/migrations';

/** Column types that differ between the embedded SQLite database and PostgreSQL. */
export interface SqlDialect {
  readonly isPostgres: boolean;
  /** A point in time (UTC). */
  readonly timestamp: string;
  /** An auto-incremented integer primary key, with its constraint. */
  readonly autoIdPrimaryKey: string;
  readonly boolean: string;
  /** Free-form JSON text. */
  readonly json: string;
}

const SQLITE: SqlDialect = {
  isPostgres: false,
  timestamp: 'datetime',
  autoIdPrimaryKey: 'integer not null primary key autoincrement',
  boolean: 'integer',
  json: 'text',
};

const POSTGRES: SqlDialect = {
  isPostgres: true,
  timestamp: 'timestamptz',
  autoIdPrimaryKey: 'bigserial primary key',
  boolean: 'boolean',
  json: 'jsonb',
};

/**
 * Base of every migration: one migration file writes the same schema for SQLite and PostgreSQL,
 * picking the few column types that differ from `this.dialect`.
 */
export abstract class DialectMigration extends Migration {
  protected get dialect(): SqlDialect {
    return this.driver.constructor.name.startsWith('PostgreSql') ? POSTGRES : SQLITE;
  }
}
