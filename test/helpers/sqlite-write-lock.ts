import { spawn } from 'node:child_process';
import { once } from 'node:events';

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
