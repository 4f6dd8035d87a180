import { DialectMigration } from './dialect-migration.js';

/** Per-job connection (credentials sealed in one opaque column), filters, mirror deletes and limits. */
export class Migration20261129500000 extends DialectMigration {
  override async up(): Promise<void> {
    const { boolean, json } = this.dialect;
    const columns = [
      'region varchar(64) null',
      'endpoint text null',
      `force_path_style ${boolean} null`,
      'access_key_id varchar(128) null',
      'sealed_credentials text null',
      `include_patterns ${json} null`,
      `exclude_patterns ${json} null`,
      `mirror_deletes ${boolean} null`,
      'max_delete_percent integer null',
      'max_concurrency integer null',
      'bandwidth_limit bigint null',
    ];
    for (const column of columns) this.addSql(`alter table jobs add column ${column};`);
  }

  override async down(): Promise<void> {
    const names = ['region', 'endpoint', 'force_path_style', 'access_key_id', 'sealed_credentials', 'include_patterns',
      'exclude_patterns', 'mirror_deletes', 'max_delete_percent', 'max_concurrency', 'bandwidth_limit'];
    for (const name of names) this.addSql(`alter table jobs drop column ${name};`);
  }
}
