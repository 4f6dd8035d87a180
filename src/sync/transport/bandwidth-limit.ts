import { pipeline, Transform } from 'node:stream';
import type { S3Connector } from './s3-connector.js';

export interface TokenBucket {
  /** Resolves once `bytes` may pass; callers that run ahead wait in proportion to the debt. */
  take(bytes: number): Promise<void>;
}

export interface TokenBucketClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: TokenBucketClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket of `bytesPerSecond`, with a burst of a quarter second: every GET of a job takes its
 * body bytes from the same bucket, so the job as a whole stays at its limit whatever the number of
 * transfers in flight. Going into debt (a chunk larger than the tokens left) makes that taker, and
 * those after it, wait until the debt is paid.
 */
export function createTokenBucket(bytesPerSecond: number, clock: TokenBucketClock = realClock): TokenBucket {
  const capacity = Math.max(1, bytesPerSecond / 4);
  let tokens = capacity;
  let last = clock.now();
  return {
    async take(bytes) {
      const now = clock.now();
      tokens = Math.min(capacity, tokens + ((now - last) * bytesPerSecond) / 1000);
      last = now;
      tokens -= bytes;
      if (tokens < 0) await clock.sleep((-tokens * 1000) / bytesPerSecond);
    },
  };
}

/** The connector with every GET body paced by `bucket` (listings and HEADs are not). */
export function throttleConnector(connector: S3Connector, bucket: TokenBucket): S3Connector {
  return {
    ...connector,
    async getRange(bucketName, key, range, signal) {
      const response = await connector.getRange(bucketName, key, range, signal);
      const paced = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bucket.take(chunk.length).then(() => done(null, chunk), done);
        },
      });
      // Errors travel both ways: a cut body fails the reader, a reader that stops destroys the body.
      pipeline(response.body, paced, () => {});
      return { ...response, body: paced };
    },
  };
}
