import { DialectMigration } from './dialect-migration.js';

/**
 * Resumable, memory-bounded listings (issue 15): a run keeps its listing position and whether its
 * listing completed; each object row remembers the last run whose listing contained it (mirror
 * deletes find the rows a complete listing did not contain with a query, not a set of keys).
 */
export class Migration20261129700000 extends DialectMigration {
  override async up(): Promise<void> {
    const { boolean } = this.dialect;
    this.addSql('alter table sync_runs add column list_after text null;');
    this.addSql(`alter table sync_runs add column listing_complete ${boolean} null;`);
    this.addSql('alter table sync_objects add column listed_run_id integer null;');
    this.addSql('create index sync_objects_job_id_listed_run_id_index on sync_objects (job_id, listed_run_id);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index sync_objects_job_id_listed_run_id_index;');
    this.addSql('alter table sync_objects drop column listed_run_id;');
    this.addSql('alter table sync_runs drop column listing_complete;');
    this.addSql('alter table sync_runs drop column list_after;');
  }
}
