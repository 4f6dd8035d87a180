import { DialectMigration } from './dialect-migration.js';

/**
 * Cancel across instances: a cancel asked through one instance is recorded on the run row, and the
 * instance holding the run's lease sees it with its heartbeat and stops the run.
 */
export class Migration20261130100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql(`alter table sync_runs add column cancel_requested_at ${this.dialect.timestamp} null;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table sync_runs drop column cancel_requested_at;');
  }
}
