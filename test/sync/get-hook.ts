import type { S3Connector } from '../../src/sync/transport/s3-connector.js';
import type { SyncFixture } from './sync-fixture.js';

/**
 * The fixture's connector through `endpoint` (its S3 server unless told), running `hook(key, n)`
 * before the n-th GET of each key (n from 1): a test changes the source at a chosen moment.
 */
export function connectorWithGetHook(f: SyncFixture, hook: (key: string, n: number) => Promise<void> | void, endpoint = f.s3.endpoint): S3Connector {
  const inner = f.connectorVia(endpoint);
  const counts = new Map<string, number>();
  return {
    multipartEtagsAreMd5: inner.multipartEtagsAreMd5,
    listPages: (...args) => inner.listPages(...args),
    headChecksums: (...args) => inner.headChecksums(...args),
    headPart: (...args) => inner.headPart(...args),
    head: (...args) => inner.head(...args),
    async getRange(bucket, key, range, signal) {
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      await hook(key, n);
      return inner.getRange(bucket, key, range, signal);
    },
    destroy: () => inner.destroy(),
  };
}
