/** An object as fetched: its key and the ETag of the version being fetched. */
export interface ObjectVersion {
  key: string;
  etag: string;
}

/**
 * The committed bytes of each object in flight, of the version being fetched: they only grow within a
 * version (a retry commits again what was already there), and a new version (the restart after the
 * source changed) replaces the old one's, whose partial file was discarded.
 */
export function createVersionBytes() {
  const marks = new Map<string, { etag: string; bytes: number }>();
  const reached = (object: ObjectVersion): number => {
    const mark = marks.get(object.key);
    return mark?.etag === object.etag ? mark.bytes : 0;
  };

  return {
    /** What this version has reached: 0 for a version not seen (the key's old version's bytes do not count). */
    reached,
    /** Records `bytes` when it moves this version on; returns how far the key's bytes moved, or null when they did not. */
    advance(object: ObjectVersion, bytes: number): number | null {
      if (bytes <= reached(object)) return null;
      const before = marks.get(object.key)?.bytes ?? 0;
      marks.set(object.key, { etag: object.etag, bytes });
      return bytes - before;
    },
    /** The object ended: its bytes are forgotten and returned. */
    forget(key: string): number {
      const bytes = marks.get(key)?.bytes ?? 0;
      marks.delete(key);
      return bytes;
    },
  };
}
