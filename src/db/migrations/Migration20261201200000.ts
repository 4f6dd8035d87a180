import { DialectMigration } from './dialect-migration.js';

/**
 * Whether a run's objects are claimed, so that other instances may help with it. `npm run sync`
 * fetches from its own listing and claims nothing: instances must keep off its runs.
 */
export class Migration20261201200000 extends DialectMigration {
  override async up(): Promise<void> {
    const yes = this.dialect.isPostgres ? 'true' : '1';
    this.addSql(`alter table sync_runs add column shares_work ${this.dialect.boolean} not null default ${yes};`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table sync_runs drop column shares_work;');
  }
}
