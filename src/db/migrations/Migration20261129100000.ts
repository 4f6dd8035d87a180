import { DialectMigration } from './dialect-migration.js';

/** Consecutive skipped ticks of a job share one SKIPPED run row, which counts them. */
export class Migration20261129100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('alter table sync_runs add column skipped_count integer not null default 0;');
    this.addSql(`update sync_runs set skipped_count = 1 where status = 'SKIPPED';`);
    // The history pruner deletes by age per job.
    this.addSql('create index sync_runs_job_id_created_at_index on sync_runs (job_id, created_at);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index sync_runs_job_id_created_at_index;');
    this.addSql('alter table sync_runs drop column skipped_count;');
  }
}
