import { DialectMigration } from './dialect-migration.js';

/** A job whose bucket is requester-pays: every request says so (x-amz-request-payer). */
export class Migration20261202100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql(`alter table jobs add column requester_pays ${this.dialect.boolean} null;`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table jobs drop column requester_pays;');
  }
}
