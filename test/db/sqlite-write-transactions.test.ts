import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { tempDir } from '../helpers/files.js';

/** Another process (as the engine thread or `npm run sync` is another connection) holding SQLite's write lock for `holdMs`. */
async function holdWriteLock(file: string, holdMs: number) {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    db.prepare("update jobs set name = 'by-the-other' where name = 'first'").run();
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, file, String(holdMs)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  const [data] = (await once(child.stdout, 'data')) as [Buffer];
  expect(data.toString()).toBe('locked\n');
  return { exited: once(child, 'exit') };
}

describe('SQLite transactions with another writer on the file', () => {
  it('a transaction that reads then writes waits for the other connection\'s write instead of failing (BEGIN IMMEDIATE)', async () => {
    await using dir = await tempDir();
    const file = join(dir.path, 'db.sqlite');
    const orm = await initOrm(`sqlite:${file}`);
    try {
      await orm.em.fork().persistAndFlush(new Job({ id: 'a1', name: 'first', connectorType: 'S3', bucketName: 'b', schedule: 'daily' }));
      const { exited } = await holdWriteLock(file, 300);
      // Reads, then writes: with a plain BEGIN its snapshot predates the other commit and SQLite refuses the write.
      await orm.em.transactional(async (em) => {
        const jobs = await em.find(Job, {});
        em.persist(new Job({ id: 'a2', name: `after-${jobs.map((j) => j.name).join()}`, connectorType: 'S3', bucketName: 'b', schedule: 'daily' }));
      });
      await exited;
      const names = (await orm.em.fork().find(Job, {}, { orderBy: { id: 'asc' } })).map((j) => j.name);
      expect(names).toEqual(['by-the-other', 'after-by-the-other']);
    } finally {
      await orm.close();
    }
  });
});
