import { DialectMigration } from './dialect-migration.js';

/**
 * Drops the (job_id, listed_run_id) index. Every run rewrites `listed_run_id` on each row it lists,
 * and the index made that a write to one more index per row (on PostgreSQL also ruling out
 * heap-only updates, so every other index got a new entry too), while no frequent query needs it
 * any more: a page's already-listed keys are looked up by key (key-span.ts), mirror deletes walk the
 * job's rows by id, and only a resumed run counts its listed rows, once. No-op rerun of 100,000
 * keys on PostgreSQL 15: the listed marks took 1.9 s, 1.35 s without the index.
 */
export class Migration20261201400000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('drop index if exists sync_objects_job_id_listed_run_id_index;');
  }

  override async down(): Promise<void> {
    this.addSql('create index sync_objects_job_id_listed_run_id_index on sync_objects (job_id, listed_run_id);');
  }
}
