import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { sha256, sha256File } from '../helpers/files.js';
import type { SyncFixture } from './sync-fixture.js';

/**
 * What a user checks after the run: each of `synced` PROCESSED with a byte-identical file, each of
 * `failedCheck` FAILED for a mismatch of its algorithm with no file in place. Returns the rows.
 */
export async function expectOutcomes(f: SyncFixture, bodies: Record<string, Buffer>, synced: string[], failedCheck: Record<string, string>) {
  const rows = new Map((await f.rows()).map((r) => [r.key, r]));
  for (const key of synced) {
    expect(rows.get(key)?.status, key).toBe('PROCESSED');
    expect(await sha256File(join(f.root, key)), key).toBe(sha256(bodies[key]!));
  }
  for (const [key, algorithm] of Object.entries(failedCheck)) {
    expect(rows.get(key)?.status, key).toBe('FAILED');
    expect(rows.get(key)?.error, key).toMatch(new RegExp(`^verification failed: ${algorithm} mismatch: expected `));
    expect(existsSync(join(f.root, key)), key).toBe(false);
  }
  return rows;
}

/** A two-part multipart upload's ETag, made up from the key (never the MD5 of any body here). */
export const multipartEtag = (key: string) => `"${createHash('md5').update(key).digest('hex')}-2"`;
