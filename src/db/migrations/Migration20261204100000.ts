import { randomUUID } from 'node:crypto';
import { DialectMigration } from './dialect-migration.js';

/**
 * The deployment's id (deployment-id.ts): one random row, written by the migration itself so that
 * instances starting together on PostgreSQL agree on it (the migration lock lets one of them write it).
 */
export class Migration20261204100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.addSql('create table deployment (id varchar(36) not null primary key);');
    this.addSql(`insert into deployment (id) values ('${randomUUID()}');`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table deployment;');
  }
}
