import { DialectMigration } from './dialect-migration.js';

/**
 * A run's end is queued for its webhooks in one transaction with `webhooks_enqueued_at`; ended runs
 * without it are found by the delivery loop's sweep (the partial index). Runs that ended before this
 * migration count as queued: an upgrade does not notify them again. `deletes_blocked` keeps the
 * mirror-deletes refusal the DELETES_BLOCKED event is built from.
 */
export class Migration20261203100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('alter table sync_runs add column deletes_blocked text null;');
    this.addSql(`alter table sync_runs add column webhooks_enqueued_at ${this.dialect.timestamp} null;`);
    this.addSql(`update sync_runs set webhooks_enqueued_at = coalesce(finished_at, created_at) where status <> 'RUNNING';`);
    this.addSql('create index sync_runs_webhooks_unqueued_index on sync_runs (id) where webhooks_enqueued_at is null;');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists sync_runs_webhooks_unqueued_index;');
    this.addSql('alter table sync_runs drop column webhooks_enqueued_at;');
    this.addSql('alter table sync_runs drop column deletes_blocked;');
  }
}
