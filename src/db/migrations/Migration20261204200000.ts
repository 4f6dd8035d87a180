import { DialectMigration } from './dialect-migration.js';

/**
 * A job's first run is a due time too, its creation's: every instance that finds the job still
 * owing it (`next_run_at` at its `created_at`) may try to record it, and one row goes in.
 */
export class Migration20261204200000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('drop index if exists sync_runs_job_id_scheduled_for_unique;');
    this.addSql(`create unique index sync_runs_job_id_scheduled_for_unique on sync_runs (job_id, scheduled_for)
      where trigger in ('SCHEDULE', 'CATCH_UP', 'CREATED');`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists sync_runs_job_id_scheduled_for_unique;');
    this.addSql(`create unique index sync_runs_job_id_scheduled_for_unique on sync_runs (job_id, scheduled_for)
      where trigger in ('SCHEDULE', 'CATCH_UP');`);
  }
}
