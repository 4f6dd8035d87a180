import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { inject } from 'vitest';
import { initOrm } from '../../src/db/orm.js';

/** True in the PostgreSQL pass of the suite (`TEST_DB=postgres`, see vitest.config.ts). */
export const onPostgres = process.env.TEST_DB === 'postgres';

/**
 * A DB_URL for a fresh, empty database: a SQLite file in `dir`, or in the PostgreSQL pass a new
 * database on the pass's throwaway server (dropped with the server at the end of the pass).
 */
export async function freshDbUrl(dir: string, file = 'scheduler.db'): Promise<string> {
  if (!onPostgres) return `sqlite:${join(dir, file)}`;
  return createDatabase('');
}

/** A new database on the pass's PostgreSQL server (`clause`: what follows CREATE DATABASE's name). */
async function createDatabase(clause: string): Promise<string> {
  const admin = new URL(inject('postgresAdminUrl'));
  const name = `dss_${randomBytes(6).toString('hex')}`;
  await queryOnce(admin.href, `create database ${name} ${clause}`);
  admin.pathname = `/${name}`;
  return admin.href;
}

/** One statement on a connection of its own. */
async function queryOnce(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Migrates a new database once per test worker, as the template of `migratedDbUrl`. */
async function migratedTemplate(): Promise<string> {
  if (!onPostgres) {
    const dir = mkdtempSync(join(tmpdir(), 'dss-db-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'template.db');
    await (await initOrm(`sqlite:${file}`)).close(true);
    return file;
  }
  const url = new URL(await freshDbUrl(''));
  await (await initOrm(url.href)).close(true);
  return url.pathname.slice(1);
}

/**
 * A DB_URL for a database with every migration applied and no job yet, as a first start leaves one:
 * a copy of a template migrated once per test worker (PostgreSQL: `CREATE DATABASE … TEMPLATE`,
 * ~0.1 s less per database than running the migrations; SQLite: the file copied) with a deployment
 * id of its own. Opening it runs initOrm's checks with nothing to migrate; the tests about migrating
 * use `freshDbUrl`. On PostgreSQL the next copy is made while the test runs, so a test waits for none.
 */
export async function migratedDbUrl(dir: string, file = 'scheduler.db'): Promise<string> {
  if (!onPostgres) {
    const target = join(dir, file);
    await copyFile(await template(), target);
    const db = new Database(target);
    try {
      db.exec(setNewDeploymentId());
    } finally {
      db.close();
    }
    return `sqlite:${target}`;
  }
  const url = await (spareCopy ?? postgresCopy());
  spareCopy = postgresCopy();
  // Dropped with the server at the end of the pass when no test takes it.
  spareCopy.catch(() => (spareCopy = undefined));
  return url;
}

let spareCopy: Promise<string> | undefined;
let migrated: Promise<string> | undefined;

/** The template: a SQLite file, or the name of a PostgreSQL database. */
function template(): Promise<string> {
  migrated ??= migratedTemplate().catch((error: unknown) => {
    migrated = undefined;
    throw error;
  });
  return migrated;
}

/** A copy holds the template's deployment id (deployment-id.ts): each gets its own, as after a first start. */
const setNewDeploymentId = () => `update deployment set id = '${randomUUID()}'`;

async function postgresCopy(): Promise<string> {
  const url = await createDatabase(`template ${await template()}`);
  await queryOnce(url, setNewDeploymentId());
  return url;
}
