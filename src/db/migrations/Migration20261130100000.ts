import { DialectMigration } from './dialect-migration.js';

/**
 * Cancel across instances: a cancel asked through one instance is recorded on the run row, and the
 * instance holding the run's lease sees it with its heartbeat and stops the run. The checksum
 * algorithms the listing reported are kept on the object row, so whoever fetches the object (a
 * helper, a run resumed after a restart) verifies it as the lister would.
 */
export class Migration20261130100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql(`alter table sync_runs add column cancel_requested_at ${this.dialect.timestamp} null;`);
    this.addSql('alter table sync_objects add column checksum_algorithms varchar(64) null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table sync_objects drop column checksum_algorithms;');
    this.addSql('alter table sync_runs drop column cancel_requested_at;');
  }
}
