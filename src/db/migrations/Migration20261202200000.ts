import { DialectMigration } from './dialect-migration.js';

/** A job's SSE-C key (objects encrypted with a customer-provided key), sealed like its credentials. */
export class Migration20261202200000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('alter table jobs add column sealed_sse_customer_key text null;');
    this.addSql('alter table jobs add column sse_customer_key_md5 varchar(24) null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table jobs drop column sealed_sse_customer_key;');
    this.addSql('alter table jobs drop column sse_customer_key_md5;');
  }
}
