import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { serviceEntry } from '../helpers/service-bundle.js';

/** `npm start` with `dbUrl`, to its exit: its code and standard error. */
async function startWith(cwd: string, dbUrl: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [serviceEntry('main')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DB_URL: dbUrl, DOWNLOAD_ROOT_FOLDER: join(cwd, 'dl') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

/** A role that may log in with `password` but not create databases. */
async function createLoginRole(password: string): Promise<string> {
  const name = `dss_plain_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await admin.connect();
  try {
    await admin.query(`create role ${name} login nocreatedb password '${password}'`);
  } finally {
    await admin.end();
  }
  return name;
}

describe.skipIf(!onPostgres)('a DB_URL whose server refuses its login or its database', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dss-login-'));
  });
  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  /** The start's one line for `url`: DB_URL named, its password hidden, the server's reason, an example. */
  const refusal = (url: URL, reason: string) =>
    `invalid DB_URL (got "${url.protocol}//${url.username}:***@${url.host}${url.pathname}"): ${reason}, e.g. postgresql://user:password@host:5432/dbname`;

  it('an unknown role exits 1 with one line naming DB_URL', async () => {
    const url = new URL(inject('postgresAdminUrl'));
    url.username = 'no_such_role';
    url.password = 'hunter2';
    const { code, stderr } = await startWith(cwd, url.href);
    expect({ code, lines: stderr.trim().split('\n') }).toEqual({ code: 1, lines: [refusal(url, 'role "no_such_role" does not exist')] });
  });

  it('a database that does not exist, and that its user may not create, exits 1 with one line naming DB_URL', async () => {
    const url = new URL(inject('postgresAdminUrl'));
    url.password = 'hunter2';
    url.username = await createLoginRole(url.password);
    url.pathname = '/no_such_database';
    const { code, stderr } = await startWith(cwd, url.href);
    expect({ code, lines: stderr.trim().split('\n') }).toEqual({
      code: 1,
      lines: [refusal(url, 'create database "no_such_database" - permission denied to create database')],
    });
  });
});
