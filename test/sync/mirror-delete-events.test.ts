import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { startSyncFixture } from './sync-fixture.js';

describe('mirror deletes', () => {
  test('announce every row they mark DELETED by one OBJECT_DELETED: a trashed file, a file left in place, a folder marker', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([['keep.txt', 'keep'], ['gone.txt', 'gone'], ['mine.txt', 'mine'], ['folder/', ''], ['folder2/', '']]);
    expect((await f.sync()).status).toBe('SUCCEEDED');
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { mirrorDeletes: true, maxDeletePercent: 100 });
    appendFileSync(join(f.root, 'mine.txt'), ' edited by the user');
    for (const key of ['gone.txt', 'mine.txt', 'folder/']) await f.s3.deleteObject(key);
    f.events.length = 0;

    const second = await f.sync();
    expect(second.status).toBe('SUCCEEDED');
    expect(second.deletes).toMatchObject({ removed: 1, leftInPlace: 1, markersGone: 1 });
    expect(readFileSync(join(f.root, 'mine.txt'), 'utf8')).toBe('mine edited by the user');
    const rows = await f.rows();
    const deletedRows = rows.filter((r) => r.status === 'DELETED').map((r) => r.key).sort();
    expect(deletedRows).toEqual(['folder/', 'gone.txt', 'mine.txt']);
    const deletedEvents = f.events.filter((e) => e.kind === 'OBJECT_DELETED').map((e) => [e.objectKey, e.objectSize]);
    // Before the fix: only gone.txt.
    expect(deletedEvents.sort()).toEqual([['folder/', 0], ['gone.txt', 4], ['mine.txt', 4]]);
  });
});
