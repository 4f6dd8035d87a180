import { DialectMigration } from './dialect-migration.js';

export class Migration20261126000000 extends DialectMigration {
  override async up(): Promise<void> {
    const { timestamp, autoIdPrimaryKey } = this.dialect;
    this.addSql(`create table jobs (
      id text not null primary key,
      name varchar(64) not null,
      connector_type varchar(16) not null,
      bucket_name varchar(255) not null,
      prefix text not null default '',
      schedule varchar(128) not null,
      timezone varchar(64) null,
      status varchar(16) not null,
      next_run_at ${timestamp} null,
      created_at ${timestamp} not null,
      updated_at ${timestamp} not null
    );`);
    this.addSql('create index jobs_status_index on jobs (status);');
    this.addSql('create index jobs_created_at_id_index on jobs (created_at, id);');

    this.addSql(`create table sync_runs (
      id ${autoIdPrimaryKey},
      job_id text not null references jobs (id) on delete cascade,
      trigger varchar(16) not null,
      status varchar(16) not null,
      started_at ${timestamp} null,
      finished_at ${timestamp} null,
      objects_total integer not null default 0,
      objects_done integer not null default 0,
      objects_failed integer not null default 0,
      objects_skipped integer not null default 0,
      bytes_total bigint not null default 0,
      bytes_done bigint not null default 0,
      error text null,
      created_at ${timestamp} not null
    );`);
    this.addSql('create index sync_runs_job_id_id_index on sync_runs (job_id, id);');
    this.addSql('create index sync_runs_status_index on sync_runs (status);');

    this.addSql(`create table sync_objects (
      id ${autoIdPrimaryKey},
      job_id text not null references jobs (id) on delete cascade,
      object_key text not null,
      size bigint not null,
      etag varchar(255) null,
      last_modified ${timestamp} null,
      checksum varchar(255) null,
      last_position bigint not null default 0,
      status varchar(16) not null,
      local_path text null,
      error text null,
      run_id integer null,
      created_at ${timestamp} not null,
      updated_at ${timestamp} not null
    );`);
    this.addSql('create unique index sync_objects_job_id_object_key_unique on sync_objects (job_id, object_key);');
    this.addSql('create index sync_objects_job_id_status_id_index on sync_objects (job_id, status, id);');
    this.addSql('create index sync_objects_job_id_id_index on sync_objects (job_id, id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sync_objects;');
    this.addSql('drop table if exists sync_runs;');
    this.addSql('drop table if exists jobs;');
  }
}
