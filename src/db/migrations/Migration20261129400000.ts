import { DialectMigration } from './dialect-migration.js';

/**
 * Several instances on one database: who runs a run (its lease), which due time it is for (one run
 * per due time), who did an object's work, and at most one RUNNING run per job, enforced by the
 * database rather than by one process's memory.
 */
export class Migration20261129400000 extends DialectMigration {
  override async up(): Promise<void> {
    const { timestamp } = this.dialect;
    this.addSql(`alter table sync_runs add column scheduled_for ${timestamp} null;`);
    this.addSql('alter table sync_runs add column instance_id varchar(128) null;');
    this.addSql('alter table sync_runs add column lease_owner varchar(128) null;');
    this.addSql(`alter table sync_runs add column lease_expires_at ${timestamp} null;`);
    this.addSql('alter table sync_objects add column instance_id varchar(128) null;');
    // Before the one-RUNNING-run index: a database from an older version may hold stale RUNNING rows
    // (start-up recovery would have cancelled all but the newest of each job anyway).
    this.addSql(`update sync_runs set status = 'CANCELLED', error = 'Cancelled by an upgrade: the job has a newer run'
      where status = 'RUNNING' and id not in (select max(id) from sync_runs where status = 'RUNNING' group by job_id);`);
    // One row per due time of the schedule; a manual trigger is a due time of its own, never a schedule's.
    this.addSql(`create unique index sync_runs_job_id_scheduled_for_unique on sync_runs (job_id, scheduled_for)
      where trigger in ('SCHEDULE', 'CATCH_UP');`);
    this.addSql(`create unique index sync_runs_one_running_per_job on sync_runs (job_id) where status = 'RUNNING';`);
    this.addSql(`create index sync_runs_running_lease_index on sync_runs (lease_expires_at) where status = 'RUNNING';`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists sync_runs_running_lease_index;');
    this.addSql('drop index if exists sync_runs_one_running_per_job;');
    this.addSql('drop index if exists sync_runs_job_id_scheduled_for_unique;');
    this.addSql('alter table sync_objects drop column instance_id;');
    this.addSql('alter table sync_runs drop column lease_expires_at;');
    this.addSql('alter table sync_runs drop column lease_owner;');
    this.addSql('alter table sync_runs drop column instance_id;');
    this.addSql('alter table sync_runs drop column scheduled_for;');
  }
}
