import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseDbUrl } from '../../src/config/db-url.js';
import type { Orm } from '../../src/db/orm.js';

/** Another process (a `sqlite3` shell, a backup) holding SQLite's write lock on `file` until `release`. */
export async function holdWriteLock(file: string) {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); }).resume();`;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  const [data] = (await once(child.stdout, 'data')) as [Buffer];
  if (data.toString() !== 'locked\n') throw new Error(`the lock holder said ${JSON.stringify(data.toString())}`);
  return {
    async release() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

export type WriteLock = Awaited<ReturnType<typeof holdWriteLock>>;

/**
 * A test app's SQLite database, its busy timeout cut to 50 ms (the condition under test is a lock
 * held past the busy timeout, whatever its length), and another process's write lock taken at the
 * moment the test picks (`take`, at most once: a flush hook, a wrapped runner method) until `release`.
 */
export async function lockWhenTold(app: { orm: Orm; config: { dbUrl: string } }) {
  await app.orm.em.getConnection().execute('pragma busy_timeout = 50');
  const target = parseDbUrl(app.config.dbUrl);
  if (target.kind !== 'sqlite') throw new Error('expected a SQLite DB_URL');
  let lock: Promise<WriteLock> | undefined;
  return {
    async take(): Promise<void> {
      await (lock ??= holdWriteLock(target.file));
    },
    get taken(): boolean {
      return lock !== undefined;
    },
    async release(): Promise<void> {
      await (await lock)?.release();
    },
  };
}
