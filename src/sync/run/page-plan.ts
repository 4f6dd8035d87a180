import type { StoredObject } from '../checkpoint/checkpoint-store.js';
import type { RemoteObject } from '../transport/s3-connector.js';
import { partialPathFor, resolveLocalPath } from '../local/safe-path.js';

export type PageDecision =
  /** Same ETag and size as a PROCESSED/SKIPPED row (or an EXCLUDED one whose file was complete): fetched only if the local file is missing. */
  | { kind: 'unchanged'; remote: RemoteObject; path: string; isDirectory: boolean; stored: StoredObject }
  | { kind: 'refused'; remote: RemoteObject; reason: string; stored: StoredObject | undefined }
  | { kind: 'empty'; remote: RemoteObject; path: string; isDirectory: boolean; stored: StoredObject | undefined }
  | {
      kind: 'fetch';
      remote: RemoteObject;
      finalPath: string;
      partialPath: string;
      /** Checkpoint of this very version (same ETag and size), else 0. */
      lastPosition: number;
      stored: StoredObject | undefined;
    };

/**
 * A refused key as its row and events record it. No database stores a NUL in text (SQLite stops
 * reading the statement there, PostgreSQL refuses it), so a NUL is shown as U+2400 (␀): the row
 * then says which key was refused and why, instead of the run dying on its own record.
 */
export function recordableKey(key: string): string {
  return key.includes('\0') ? key.replace(/\0/g, '\u2400') : key;
}

function recordable(remote: RemoteObject): RemoteObject {
  const key = recordableKey(remote.key);
  return key === remote.key ? remote : { ...remote, key };
}

/** Decides, for each listed object of a page, what the run does with it (pure). `stored`: rows by recordable key. */
export function planPage(jobRoot: string, page: RemoteObject[], stored: Map<string, StoredObject>): PageDecision[] {
  return page.map((remote) => {
    const row = stored.get(recordableKey(remote.key));
    const local = resolveLocalPath(jobRoot, remote.key);
    if (!local.ok) return { kind: 'refused', remote: recordable(remote), reason: local.reason, stored: row };
    if (local.isDirectory && remote.size > 0) {
      return {
        kind: 'refused',
        remote,
        reason: 'unsafe key: a key ending in "/" holds data and cannot be stored as a file',
        stored: row,
      };
    }
    const sameVersion = row !== undefined && row.etag === remote.etag && row.size === remote.size;
    const complete = row?.status === 'PROCESSED' || row?.status === 'SKIPPED' || (row?.status === 'EXCLUDED' && row.localPath !== null && row.lastPosition === row.size);
    if (sameVersion && complete) {
      return { kind: 'unchanged', remote, path: local.path, isDirectory: local.isDirectory, stored: row };
    }
    if (remote.size === 0) return { kind: 'empty', remote, path: local.path, isDirectory: local.isDirectory, stored: row };
    return {
      kind: 'fetch',
      remote,
      finalPath: local.path,
      partialPath: partialPathFor(jobRoot, remote.key),
      lastPosition: sameVersion ? row.lastPosition : 0,
      stored: row,
    };
  });
}
