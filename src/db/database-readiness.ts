import type pg from 'pg';
import { succeedsWithin } from '../config/succeeds-within.js';
import { isPostgres, type Orm } from './orm.js';

/** How long /readyz waits for the database: a probe must answer within its own timeout, even when a connection hangs. */
const READY_TIMEOUT_MS = 2_000;

/** What the ORM's query builder keeps of PostgreSQL: the driver it loaded, the settings it opens connections with, its pool (gone once closed). */
interface PostgresClient {
  driver: typeof pg;
  connectionSettings: pg.ClientConfig;
  pool?: unknown;
}

/**
 * True when the database answers a trivial query within READY_TIMEOUT_MS; used by /readyz. On
 * PostgreSQL the probe opens a connection of its own (the pool's settings) and closes it: queued
 * behind busy pooled connections it would take a burst of API requests for an outage, while a
 * server that is down, hangs or has no connection slot free still fails it; at most one probe a
 * second. SQLite's one connection answers at once (its queries are synchronous).
 */
export function isDatabaseReady(orm: Orm): Promise<boolean> {
  if (!isPostgres(orm)) return succeedsWithin(orm.em.getConnection().execute('select 1'), READY_TIMEOUT_MS);
  const client = orm.em.getConnection().getKnex().client as PostgresClient;
  // The ORM closed (the service is stopping): not ready, whatever the server says.
  if (!client.pool) return Promise.resolve(false);
  // /readyz needs no token: probes in flight or just answered are shared, so requests in a loop
  // cannot open a server process (and take a connection slot) each.
  const last = probes.get(orm);
  if (last && (last.pending || performance.now() - last.at < PROBE_REUSE_MS)) return last.ready;
  const probe = { at: performance.now(), pending: true, ready: succeedsWithin(probeConnection(client), READY_TIMEOUT_MS) };
  void probe.ready.then(() => (probe.pending = false));
  probes.set(orm, probe);
  return probe.ready;
}

/** A probe's answer is reused for this long after it started. */
const PROBE_REUSE_MS = 1_000;
const probes = new WeakMap<Orm, { at: number; pending: boolean; ready: Promise<boolean> }>();

async function probeConnection({ driver, connectionSettings }: PostgresClient): Promise<void> {
  const probe = new driver.Client({ ...connectionSettings, connectionTimeoutMillis: READY_TIMEOUT_MS, query_timeout: READY_TIMEOUT_MS });
  // A connection cut under the probe is its failure, not an unhandled 'error' event.
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('select 1');
  } finally {
    probe.end().catch(() => {});
  }
}
