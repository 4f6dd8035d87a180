import { DialectMigration } from './dialect-migration.js';

/**
 * Work sharing: the objects of one run are claimed in batches by the instances working on it. A
 * row belongs to `claim_owner` while `claim_expires_at` is in the future (renewed with the
 * claimer's heartbeat), so a killed instance's objects are claimed again after RUN_LEASE_TTL.
 */
export class Migration20261129900000 extends DialectMigration {
  override async up(): Promise<void> {
    const { timestamp } = this.dialect;
    this.addSql('alter table sync_objects add column claim_owner varchar(128) null;');
    this.addSql(`alter table sync_objects add column claim_expires_at ${timestamp} null;`);
    // The claim query: the unfinished rows of one run, in id order.
    this.addSql(`create index sync_objects_run_open_index on sync_objects (run_id, id) where status in ('PENDING', 'PROCESSING');`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists sync_objects_run_open_index;');
    this.addSql('alter table sync_objects drop column claim_expires_at;');
    this.addSql('alter table sync_objects drop column claim_owner;');
  }
}
