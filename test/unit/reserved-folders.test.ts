import { describe, expect, test } from 'vitest';
import { resolveLocalPath } from '../../src/sync/local/safe-path.js';

/**
 * README, Safety: keys under `.dss-partial/` or `.dss-trash/` are refused (the folders the service
 * keeps partial downloads, its run.lock and mirror-delete trash in). The check is an exact,
 * case-sensitive comparison. On a case-insensitive file system (macOS/Windows hosts bind-mounted into
 * the Docker image, ext4/tmpfs casefold folders), `.DSS-PARTIAL/run.lock` IS the run lock and
 * `.Dss-Trash/…` is the trash. Not testable end to end here: this machine's file systems are
 * case-sensitive and a casefold mount is not permitted, so this asserts the mapping itself.
 */
describe('reserved folders on case-insensitive file systems', () => {
  test.each(['.DSS-PARTIAL/run.lock', '.Dss-Partial/0123456789abcdef0123456789abcdef01234567.partial', '.DSS-TRASH/1/x', '.dſs-partial/run.lock'])(
    '%s is refused like its lower-case spelling',
    (key) => {
      const local = resolveLocalPath('/srv/downloads/3f0c0000-0000-4000-8000-000000000000', key);
      expect(local.ok, JSON.stringify(local)).toBe(false);
    },
  );
});
