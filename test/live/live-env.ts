import Database, { type SqliteDatabase } from 'better-sqlite3';
import type { FormattedExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { gqlData, wsClient } from '../helpers/clients.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import type { Logger } from '../../src/config/logger.js';
import type { EventBus } from '../../src/events/event-bus.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

export const KiB = 1024;
/** The smallest chunk size the service accepts: several CHUNK events per object with little data. */
export const CHUNK_SIZE = 64 * KiB;

export const SYNC_PROGRESS = /* GraphQL */ `
  subscription SyncProgress($jobId: ID) {
    syncProgress(jobId: $jobId) { kind jobId runId objectKey bytesTransferred objectSize status runStatus error at }
  }
`;

/** A progress event as a client receives it (JSON: `at` is a string). */
export type WireEvent = Omit<SyncProgressEvent, 'at'> & { at: string };

export interface LiveEnv extends AsyncDisposable {
  s3: TestS3Server;
  app: TestApp;
  /** Stops the app, then s3rver. */
  stop(): Promise<void>;
}

/**
 * s3rver plus the real app (buildApp: real sync engine, GraphQL + graphql-ws on one port) pointed at
 * it with 64 KiB chunks. `s3Endpoint` replaces s3rver's address (e.g. a latency proxy in front of it).
 */
export async function startLiveEnv(
  options: { env?: Record<string, string>; s3Endpoint?: (s3: TestS3Server) => Promise<string>; logger?: Logger } = {},
): Promise<LiveEnv> {
  const s3 = await startS3Server();
  try {
    const endpoint = options.s3Endpoint ? await options.s3Endpoint(s3) : s3.endpoint;
    const app = await startTestApp({
      env: { ...s3.env, AWS_ENDPOINT_URL_S3: endpoint, S3_CHUNK_SIZE: String(CHUNK_SIZE), RETRY_DELAY: '0.01', SYNC_THREAD: 'true', ...options.env },
      logger: options.logger,
    });
    const stop = async () => {
      await app.stop();
      await s3.stop();
    };
    return { s3, app, stop, [Symbol.asyncDispose]: stop };
  } catch (error) {
    await s3.stop();
    throw error;
  }
}

/** Creates a paused job on `prefix` (so nothing runs until `triggerJob`); returns its id. */
export async function createPausedJob(app: TestApp, bucket: string, prefix: string, headers: Record<string, string> = {}): Promise<string> {
  const data = await gqlData<{ createJob: { job: { id: string } } }>(
    app,
    `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`,
    { input: { name: `job ${prefix}`, connectorType: 'S3', schedule: 'hourly', paused: true, connectorConfig: { bucketName: bucket, prefix } } },
    headers,
  );
  return data.createJob.job.id;
}

export async function triggerJob(app: TestApp, jobId: string, headers: Record<string, string> = {}): Promise<string> {
  const data = await gqlData<{ triggerJob: { run: { id: string; status: string } } }>(
    app,
    `mutation ($id: ID!) { triggerJob(id: $id) { run { id status } } }`,
    { id: jobId },
    headers,
  );
  if (data.triggerJob.run.status !== 'RUNNING') throw new Error(`triggerJob: run is ${data.triggerJob.run.status}`);
  return data.triggerJob.run.id;
}

/** How long the live tests wait for a run's events (a sync with many objects on a shared CPU). */
export const LIVE_WAIT_MS = 20_000;

export interface Collector {
  /** Events received, probes excluded. */
  events: WireEvent[];
  /** Every `next` payload, probes included. */
  results: FormattedExecutionResult<{ syncProgress: WireEvent }, unknown>[];
  ended: unknown[];
  probed: boolean;
  dispose(): void;
}

const PROBE_RUN_ID = 'probe';

/** Subscribes to syncProgress and collects what arrives; `onEvent` runs as each (non-probe) event arrives. */
export function collect(client: Client, jobId: string | undefined, onEvent: (event: WireEvent) => void = () => {}): Collector {
  const collector: Collector = { events: [], results: [], ended: [], probed: false, dispose: () => {} };
  collector.dispose = client.subscribe<{ syncProgress: WireEvent }>(
    { query: SYNC_PROGRESS, variables: jobId === undefined ? {} : { jobId } },
    {
      next: (result) => {
        collector.results.push(result);
        const event = result.data?.syncProgress;
        if (!event) return;
        if (event.runId === PROBE_RUN_ID) collector.probed = true;
        else {
          collector.events.push(event);
          onEvent(event);
        }
      },
      error: (error) => collector.ended.push(error),
      complete: () => collector.ended.push('complete'),
    },
  );
  return collector;
}

/**
 * A subscription becomes live asynchronously and graphql-transport-ws has no "subscribed" ack:
 * publish marked probe events for these jobs until every collector has seen one. Probes are kept
 * out of `events`.
 */
export async function untilLive(bus: EventBus, jobIds: string[], collectors: Collector[]): Promise<void> {
  await waitFor(
    () => {
      const failed = collectors.find((c) => c.results.some((r) => r.errors) || c.ended.length > 0);
      if (failed) throw new Error(`a subscription failed: ${JSON.stringify(failed.results.find((r) => r.errors) ?? failed.ended)}`);
      return collectors.every((c) => c.probed);
    },
    {
      timeoutMs: LIVE_WAIT_MS,
      what: 'every subscription to be live',
      step: () => {
        for (const jobId of jobIds) {
          bus.publish({ kind: 'RUN_STARTED', jobId, runId: PROBE_RUN_ID, objectKey: null, bytesTransferred: 0, objectSize: null, status: null, at: new Date() });
        }
      },
    },
  );
}

/**
 * A graphql-ws client on `app` with one syncProgress subscription, to `jobId` (to every job with
 * `everyJob`), returned once it is live (probe events for `jobId` reach it). Disposing it closes the client.
 */
export async function subscribeLive(app: { wsUrl: string; bus: EventBus }, jobId: string, options: { everyJob?: boolean } = {}): Promise<Collector & AsyncDisposable> {
  const client = wsClient(app.wsUrl, { lazy: false });
  try {
    const sub = collect(client, options.everyJob ? undefined : jobId);
    await untilLive(app.bus, [jobId], [sub]);
    const dispose = async () => {
      await client.dispose();
    };
    return Object.assign(sub, { [Symbol.asyncDispose]: dispose });
  } catch (error) {
    await client.dispose();
    throw error;
  }
}

/**
 * A second, read-only SQLite connection to the app's database file. With WAL it sees exactly the
 * committed rows, so it tells what a crash at this instant would leave behind.
 */
export function openReader(app: TestApp): SqliteDatabase & Disposable {
  const db = new Database(app.config.dbUrl.replace(/^sqlite:/, ''), { readonly: true, fileMustExist: true });
  return Object.assign(db, { [Symbol.dispose]: () => db.close() });
}

export function committedPosition(db: SqliteDatabase, jobId: string, key: string): number | undefined {
  const row = db.prepare('select last_position as p from sync_objects where job_id = ? and object_key = ?').get(jobId, key) as { p: number | bigint } | undefined;
  return row === undefined ? undefined : Number(row.p);
}

/** Events of one object in arrival order. */
export const ofObject = (events: WireEvent[], key: string) => events.filter((e) => e.objectKey === key);

/** startLiveEnv behind a fault proxy that answers 403 AccessDenied to every GET of a key containing `marker`. */
export async function startLiveEnvDenying(marker: string): Promise<LiveEnv> {
  let proxy: FaultProxy | undefined;
  const env = await startLiveEnv({
    s3Endpoint: async (s3) => {
      proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
      proxy.setRule((req) => (req.method === 'GET' && req.key.includes(marker) ? { kind: 'status', status: 403, code: 'AccessDenied' } : undefined));
      return proxy.endpoint;
    },
  });
  const stop = async () => {
    await env.stop();
    await proxy?.stop();
  };
  return { ...env, stop, [Symbol.asyncDispose]: stop };
}
