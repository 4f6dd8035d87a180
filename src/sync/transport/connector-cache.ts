import type { Config } from '../../config/env.js';
import { createSecretBox, type SecretBox } from '../../config/secret-box.js';
import { resolveJobConnection, type JobConnectionFields } from './job-connection.js';
import { createS3Connector, type S3Connector } from './s3-connector.js';

export interface ConnectorLease {
  connector: S3Connector;
  /** The run is done with the connector; a retired one is destroyed when its last user releases it. */
  release(): void;
}

export interface ConnectorCacheOptions {
  config: Pick<Config, 's3' | 'retry' | 'proxy'>;
  secrets: SecretBox;
  maxSockets: number;
  socketTimeoutMs?: number;
  /** Told about every retried listing or HEAD call (metrics), with the job it was for. */
  onRetry?: (jobId: string, error: unknown) => void;
}

interface Entry {
  key: string;
  connector: S3Connector;
  users: number;
  retired: boolean;
}

/**
 * One S3 client (with its keep-alive sockets and signer) per job, reused by its runs and previews.
 * An entry is replaced when the job's connection settings or credentials change, and dropped by
 * forget() when the job is updated or deleted; a client in use is destroyed once released.
 */
export function createConnectorCache(options: ConnectorCacheOptions) {
  const entries = new Map<string, Entry>();
  const retire = (entry: Entry) => {
    entry.retired = true;
    if (entry.users === 0) entry.connector.destroy();
  };

  return {
    /** Throws a ConnectionError when the job's credentials cannot be opened (never falls back to the process's). */
    acquire(job: JobConnectionFields): ConnectorLease {
      const connection = resolveJobConnection(job, options.config.s3, options.secrets);
      let entry = entries.get(job.id);
      if (entry && entry.key !== connection.cacheKey) {
        entries.delete(job.id);
        retire(entry);
        entry = undefined;
      }
      if (!entry) {
        const connector = createS3Connector({
          s3: connection.s3,
          credentials: connection.credentials,
          sseCustomerKey: connection.sseCustomerKey,
          retry: options.config.retry,
          proxy: options.config.proxy,
          maxSockets: options.maxSockets,
          socketTimeoutMs: options.socketTimeoutMs,
          onRetry: options.onRetry && ((error: unknown) => options.onRetry?.(job.id, error)),
        });
        entry = { key: connection.cacheKey, connector, users: 0, retired: false };
        entries.set(job.id, entry);
      }
      const leased = entry;
      leased.users += 1;
      let released = false;
      return {
        connector: leased.connector,
        release() {
          if (released) return;
          released = true;
          leased.users -= 1;
          if (leased.retired && leased.users === 0) leased.connector.destroy();
        },
      };
    },

    forget(jobId: string): void {
      const entry = entries.get(jobId);
      if (!entry) return;
      entries.delete(jobId);
      retire(entry);
    },

    /** Jobs with a cached client (tests and metrics). */
    size: () => entries.size,

    close(): void {
      for (const entry of entries.values()) retire(entry);
      entries.clear();
    },
  };
}

export type ConnectorCache = ReturnType<typeof createConnectorCache>;

/** A one-run connector for callers without a cache (the CLI, test fixtures): destroyed on release. */
export function openUncachedConnector(options: Omit<ConnectorCacheOptions, 'secrets'> & { secretsKey?: Buffer }, job: JobConnectionFields): ConnectorLease {
  const cache = createConnectorCache({ ...options, secrets: createSecretBox(options.secretsKey) });
  const lease = cache.acquire(job);
  return {
    connector: lease.connector,
    release() {
      lease.release();
      cache.close();
    },
  };
}
