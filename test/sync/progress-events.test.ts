import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { seededBytes } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

interface SqliteDatabase {
  prepare(sql: string): { get(...params: unknown[]): unknown };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options?: { readonly?: boolean }) => SqliteDatabase;

describe('progress events', () => {
  test('RUN_STARTED, CHUNK… then OBJECT_DONE per object, RUN_FINISHED; each event is published after its commit', async () => {
    await using f = await startSyncFixture({ concurrency: 3 });
    const sizes: Record<string, number> = { 'big.bin': 7 * CHUNK + 3, 'mid.bin': 2 * CHUNK, 'small.txt': 100, 'empty.txt': 0 };
    await f.s3.putObjects(Object.entries(sizes).map(([key, size], i) => [key, seededBytes(size, i)]));
    // A second connection, read synchronously inside the subscriber: what the database holds at publish time.
    const db = new Database(f.dbFile, { readonly: true });
    const read = db.prepare('select last_position as lastPosition, status from sync_objects where job_id = ? and object_key = ?');
    const violations: string[] = [];
    const seen: SyncProgressEvent[] = [];
    const unlisten = f.bus.on((event) => {
      seen.push(event);
      if (!event.objectKey) return;
      const row = read.get(f.jobId, event.objectKey) as { lastPosition: number; status: string } | undefined;
      if (!row) violations.push(`${event.kind} ${event.objectKey}: no row`);
      else if (event.kind === 'CHUNK' && row.lastPosition < event.bytesTransferred) {
        violations.push(`CHUNK ${event.objectKey} ${event.bytesTransferred} published with last_position ${row.lastPosition}`);
      } else if (event.kind === 'OBJECT_DONE' && row.status !== 'PROCESSED') {
        violations.push(`OBJECT_DONE ${event.objectKey} published with status ${row.status}`);
      } else if (event.kind === 'OBJECT_SKIPPED' && row.status !== 'SKIPPED') {
        violations.push(`OBJECT_SKIPPED ${event.objectKey} published with status ${row.status}`);
      }
    }, f.jobId);
    try {
      const result = await f.sync();
      expect(result.status).toBe('SUCCEEDED');
      expect(violations).toEqual([]);
      expect(seen[0]).toMatchObject({ kind: 'RUN_STARTED', jobId: f.jobId, runId: String(result.runId), bytesTransferred: 0 });
      expect(seen.at(-1)).toMatchObject({
        kind: 'RUN_FINISHED',
        runId: String(result.runId),
        runStatus: 'SUCCEEDED',
        bytesTransferred: 9 * CHUNK + 103,
      });
      expect(seen.filter((e) => e.kind === 'RUN_STARTED' || e.kind === 'RUN_FINISHED')).toHaveLength(2);
      for (const [key, size] of Object.entries(sizes)) {
        const own = seen.filter((e) => e.objectKey === key);
        expect(own.every((e) => e.runId === String(result.runId) && e.objectSize === size)).toBe(true);
        if (size === 0) {
          expect(own.map((e) => e.kind)).toEqual(['OBJECT_SKIPPED']);
          continue;
        }
        const kinds = own.map((e) => e.kind);
        expect(kinds.at(-1), key).toBe('OBJECT_DONE');
        expect(kinds.slice(0, -1).every((k) => k === 'CHUNK'), key).toBe(true);
        expect(kinds.length, key).toBeGreaterThanOrEqual(2);
        const bytes = own.map((e) => e.bytesTransferred);
        expect(bytes, key).toEqual([...bytes].sort((a, b) => a - b));
        expect(bytes.at(-1), key).toBe(size);
        expect(own.at(-2)!.bytesTransferred, key).toBe(size);
      }
      // The big object's CHUNK events report chunk-aligned checkpoints.
      const bigChunks = seen.filter((e) => e.objectKey === 'big.bin' && e.kind === 'CHUNK').map((e) => e.bytesTransferred);
      expect(bigChunks.every((b) => b % CHUNK === 0 || b === sizes['big.bin'])).toBe(true);
    } finally {
      unlisten();
      db.close();
    }
  });
});
