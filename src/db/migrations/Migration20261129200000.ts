import { DialectMigration } from './dialect-migration.js';

/** Webhooks per job (a JSON list on the job) and their deliveries and attempts (issue 16). */
export class Migration20261129200000 extends DialectMigration {
  override async up(): Promise<void> {
    const { timestamp, autoIdPrimaryKey, json } = this.dialect;
    this.addSql(`alter table jobs add column webhooks ${json} not null default '[]';`);

    this.addSql(`create table webhook_deliveries (
      id text not null primary key,
      job_id text not null references jobs (id) on delete cascade,
      run_id integer null,
      url text not null,
      event varchar(32) not null,
      body text not null,
      status varchar(16) not null,
      attempts integer not null default 0,
      next_attempt_at ${timestamp} not null,
      last_status_code integer null,
      last_error text null,
      delivered_at ${timestamp} null,
      created_at ${timestamp} not null,
      updated_at ${timestamp} not null
    );`);
    this.addSql('create index webhook_deliveries_status_next_attempt_at_index on webhook_deliveries (status, next_attempt_at);');
    this.addSql('create index webhook_deliveries_job_id_created_at_index on webhook_deliveries (job_id, created_at);');

    this.addSql(`create table webhook_attempts (
      id ${autoIdPrimaryKey},
      delivery_id text not null references webhook_deliveries (id) on delete cascade,
      attempt integer not null,
      status_code integer null,
      error text null,
      duration_ms integer not null,
      attempted_at ${timestamp} not null
    );`);
    this.addSql('create index webhook_attempts_delivery_id_attempt_index on webhook_attempts (delivery_id, attempt);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_attempts;');
    this.addSql('drop table if exists webhook_deliveries;');
    this.addSql('alter table jobs drop column webhooks;');
  }
}
