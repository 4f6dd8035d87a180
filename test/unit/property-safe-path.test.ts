import { join, relative, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PARTIAL_DIR, resolveLocalPath } from '../../src/sync/local/safe-path.js';

const root = '/data/downloads/job-1';

/** Keys built from the pieces that make paths tricky, and any Unicode. */
const key = fc.oneof(
  fc.array(fc.constantFrom('a', 'é', '𝕻', '.', '..', '/', '\\', '\0', 'C:', ' ', '~', PARTIAL_DIR, 'x'.repeat(200), '%2e', '\u202e', '\t'), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }).map((segments) => segments.join('/')),
);

describe('resolveLocalPath on 10,000 generated S3 keys', () => {
  it('either places the key strictly inside the job folder (never in the partial-download folder) or gives a reason', () => {
    fc.assert(
      fc.property(key, (k) => {
        const result = resolveLocalPath(root, k);
        if (!result.ok) {
          expect(result.reason).toMatch(/^unsafe key: .+/);
          return;
        }
        expect(result.path.startsWith(root + sep)).toBe(true);
        const rel = relative(root, result.path);
        expect(rel.split(sep)).not.toContain('..');
        expect(rel.split(sep)[0]).not.toBe(PARTIAL_DIR);
        expect(result.path).not.toContain('\0');
        expect(result.isDirectory).toBe(k.endsWith('/'));
        // Nothing is lost or rewritten: the path is the key itself under the job folder.
        expect(result.path).toBe(join(root, result.isDirectory ? k.slice(0, -1) : k));
      }),
      { numRuns: 10_000 },
    );
  });
});
