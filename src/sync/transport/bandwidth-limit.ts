import type { ByteSource } from './byte-source.js';
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
      return { ...response, body: pacedSource(response.body, bucket) };
    },
  };
}

/** Pauses `source` after each piece until the bucket has paid for it; the reader's own pauses are kept apart. */
function pacedSource(source: ByteSource, bucket: TokenBucket): ByteSource {
  let readerPaused = false;
  let waiting = 0;
  const apply = () => (readerPaused || waiting > 0 ? source.pause() : source.resume());
  return {
    pipeTo(onData) {
      return source.pipeTo((piece) => {
        onData(piece);
        waiting += 1;
        apply();
        void bucket.take(piece.length).finally(() => {
          waiting -= 1;
          apply();
        });
      });
    },
    pause() {
      readerPaused = true;
      apply();
    },
    resume() {
      readerPaused = false;
      apply();
    },
    destroy: (error) => source.destroy(error),
    ...(source.readInto ? { readInto: (region: () => Buffer | null) => source.readInto!(region) } : {}),
  };
}
