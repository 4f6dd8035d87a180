import { randomBytes } from 'node:crypto';
import type { Logger } from '../../config/logger.js';
import { databaseNow } from '../../db/database-clock.js';
import { SyncObject } from '../../db/entities/sync-object.entity.js';
import { isPostgres, type Orm } from '../../db/orm.js';
import { whileDatabaseDown, type OutageOptions } from '../../db/database-outage.js';
import { createHeartbeat } from './heartbeat.js';
import { algorithmsOf } from '../../db/checksum-algorithms.js';

/** Object rows still to be worked on (a claim only ever covers these). */
const OPEN = ['PENDING', 'PROCESSING'] as const;

/** One object row as claimed: what an instance needs to continue it from its checkpoint. */
export interface ClaimedObject {
  id: number;
  key: string;
  size: number;
  etag: string;
  lastModified: Date | null;
  lastPosition: number;
  /** The checksum algorithms the listing reported, so the fetcher verifies as the lister would. */
  checksumAlgorithms: string[];
}

export interface ObjectClaimsDeps {
  orm: Orm;
  jobId: string;
  runId: number;
  instanceId: string;
  /** RUN_LEASE_TTL: a claim not renewed for this long may be taken by another instance. */
  ttlMs: number;
  logger: Logger;
  now?: () => Date;
  /** How its reads and writes wait out a database outage (the run's: logged once, ended by a stop). */
  outage?: OutageOptions;
}

/**
 * The claim owners of the sessions alive in this process (this thread, which runs every session of
 * the process: the engine thread, or the main thread without one). A claim of this instance whose
 * owner is not among them was left by a dead process or thread under the same INSTANCE_ID.
 */
const liveOwners = new Set<string>();

/** INSTANCE_ID cannot contain a '/' (config/env.ts), so `<instance>/` prefixes only this instance's owners. */
const ownerPrefix = (instanceId: string) => `${instanceId}/`;

/**
 * The claims one session (a run's holder or a helper) holds on the object rows of one run (work
 * sharing on PostgreSQL). A row is claimed in batches with `FOR UPDATE SKIP LOCKED`, so two sessions
 * never take the same row; claims are renewed every TTL/3 and handed back on stop; a killed
 * instance's claims expire, or are cleared at once when the instance comes back under the same id.
 * Each session owns its claims under its own name, `<INSTANCE_ID>/<random>`: a holder and a helper
 * of one instance on one run wait for each other's claims like any two instances.
 */
export function createObjectClaims({ orm, jobId, runId, instanceId, ttlMs, logger, now = () => databaseNow(orm), outage = {} }: ObjectClaimsDeps) {
  const platform = orm.em.getPlatform();
  const at = (date: Date) => platform.processDateProperty(date) as unknown;
  const onPostgres = isPostgres(orm);
  const skipLocked = onPostgres ? ' for update skip locked' : '';
  // PostgreSQL: `run_id = any(…)` with `order by run_id, id` cannot be served by the primary key in
  // id order, so the planner takes the open rows' index (sync_objects_run_open_index) even when
  // its statistics say most rows are open and the primary key would seem to find them at once.
  const ofRun = onPostgres ? 'run_id = any(array[?]::bigint[])' : 'run_id = ?';
  const claimOrder = onPostgres ? 'run_id, id' : 'id';
  const owner = `${ownerPrefix(instanceId)}${randomBytes(6).toString('hex')}`;
  const openRows = { runId, status: { $in: [...OPEN] }, size: { $gt: 0 } };
  /** Ids this session claimed and, by its last renewal, still holds (a finished row's claim goes with its final state). */
  const held = new Set<number>();

  /**
   * Extends this session's claims on its open rows. The UPDATE names the lowest id held: without it
   * PostgreSQL, its statistics saying most of the run's rows are open, scanned the whole table
   * (138–270 ms at a million rows; 5.5 ms by primary key from that id).
   */
  async function renew(): Promise<void> {
    const asked = [...held];
    if (asked.length === 0) return;
    const lowest = asked.reduce((low, id) => Math.min(low, id));
    const rows = (await orm.em.fork().getConnection().execute(
      `update sync_objects set claim_expires_at = ?
       where run_id = ? and claim_owner = ? and status in ('PENDING', 'PROCESSING') and id >= ? returning id`,
      [at(new Date(now().getTime() + ttlMs)), runId, owner, lowest],
    )) as Array<{ id: number | string }>;
    const stillHeld = new Set(rows.map((row) => Number(row.id)));
    for (const id of asked) if (!stillHeld.has(id)) held.delete(id);
  }
  const renewal = createHeartbeat(renew, ttlMs, (err) => logger.error({ err }, 'could not renew object claims'));

  /**
   * Where this session's next claim starts. The rows of a run finish roughly in id order, and each
   * finished row leaves a dead entry in the open rows' index until VACUUM: a claim that always
   * started from the run's first id walked all of them (and PostgreSQL, its statistics saying most
   * rows are open, often walked the whole table by primary key instead), a cost growing with the run.
   */
  let after = 0;

  async function claimFrom(afterId: number, limit: number): Promise<ClaimedObject[]> {
    // The time is taken at each attempt: one retried across a database outage must not write a claim
    // that has already run out (its row would be claimable again at once, by another session).
    // This session's own claims that ran out (renewals missed in an outage) are rows it is still
    // fetching, or has fetched and not yet committed: claiming them again would fetch them twice.
    const rows = (await whileDatabaseDown(() => {
      const time = now();
      return orm.em.fork().getConnection().execute(
        `update sync_objects set claim_owner = ?, claim_expires_at = ?
         where id in (select id from sync_objects
           where ${ofRun} and id > ? and status in ('PENDING', 'PROCESSING') and size > 0
             and (claim_owner is null or (claim_expires_at <= ? and claim_owner <> ?))
             and exists (select 1 from sync_runs where sync_runs.id = ? and status = 'RUNNING' and cancel_requested_at is null and shares_work)
           order by ${claimOrder} limit ?${skipLocked})
         returning id, object_key, size, etag, last_modified, last_position, checksum_algorithms`,
        [owner, at(new Date(time.getTime() + ttlMs)), runId, afterId, at(time), owner, runId, limit],
      );
    }, outage)) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      id: Number(row.id),
      key: String(row.object_key),
      size: Number(row.size),
      etag: String(row.etag ?? ''),
      lastModified: row.last_modified == null ? null : new Date(row.last_modified as string | number | Date),
      lastPosition: Number(row.last_position),
      checksumAlgorithms: algorithmsOf(row.checksum_algorithms),
    }));
  }

  return {
    /** The name this session's claims are held under; a checkpoint is written only while it holds the row. */
    owner,

    /**
     * Claims up to `limit` open rows of the run that nobody holds (or whose claim expired), in id
     * order from just past this session's last batch, then, when those run short, from the run's
     * first id (rows released, expired or listed again since); none once the run has ended, its
     * cancel was asked or `npm run sync` took it over.
     */
    async claim(limit: number): Promise<ClaimedObject[]> {
      const rows = await claimFrom(after, limit);
      if (rows.length < limit && after > 0) rows.push(...(await claimFrom(0, limit - rows.length)));
      if (rows.length > 0) after = Math.max(...rows.map((row) => row.id));
      for (const row of rows) held.add(row.id);
      return rows.sort((a, b) => a.id - b.id);
    },

    /**
     * True while the run has rows not finished yet, unclaimed or claimed by another session. Asked
     * with nothing of this session in flight: its own remaining claims are objects whose transfer
     * ended without a result (an internal error), not work to wait for.
     */
    async hasOpenWork(): Promise<boolean> {
      const others = { $or: [{ claimOwner: null }, { claimOwner: { $ne: owner } }] };
      return (await whileDatabaseDown(() => orm.em.fork().count(SyncObject, { ...openRows, ...others }), outage)) > 0;
    },

    /**
     * Starts the session: clears the claims on the job's rows that this instance's dead sessions
     * left (a lost engine thread, a process killed and restarted with the same INSTANCE_ID; they
     * would stay unclaimable until they expire), then renews this session's claims every TTL/3
     * until `stop`.
     */
    async start(): Promise<void> {
      liveOwners.add(owner);
      await whileDatabaseDown(async () => {
        const em = orm.em.fork();
        // Only open rows matter: a claim on a finished row keeps nobody from anything.
        const open = { jobId, status: { $in: [...OPEN] } };
        const claimed = await em.find(SyncObject, { ...open, claimOwner: { $ne: null } }, { fields: ['claimOwner'] });
        const owners = new Set(claimed.map((row) => row.claimOwner ?? ''));
        const dead = [...owners].filter((name) => name.startsWith(ownerPrefix(instanceId)) && !liveOwners.has(name));
        if (dead.length > 0) await em.nativeUpdate(SyncObject, { ...open, claimOwner: { $in: dead } }, { claimOwner: null, claimExpiresAt: null });
      }, outage);
      renewal.start();
    },

    /** Stops renewing; `releaseAll` hands back what is left. */
    async stop(): Promise<void> {
      liveOwners.delete(owner);
      await renewal.stop();
    },

    /**
     * Clears this session's claims when it stops working on the run: unfinished ones go back at
     * once (graceful stop). A finished row's claim went with its final state (object-row-sql.ts).
     */
    async releaseAll(): Promise<void> {
      // A claim outlives only an open row: the run's open rows have an index, run_id alone has none.
      const claimed = { jobId, runId, status: { $in: [...OPEN] }, claimOwner: owner };
      await whileDatabaseDown(() => orm.em.fork().nativeUpdate(SyncObject, claimed, { claimOwner: null, claimExpiresAt: null }), outage);
    },
  };
}

export type ObjectClaims = ReturnType<typeof createObjectClaims>;

/** How many open rows of a run nobody holds: a helper joins a run only when there is work to take. */
export async function countClaimable(orm: Orm, runId: number, at: Date): Promise<number> {
  return orm.em.fork().count(SyncObject, {
    runId,
    status: { $in: [...OPEN] },
    size: { $gt: 0 },
    $or: [{ claimOwner: null }, { claimExpiresAt: { $lte: at } }],
  });
}

/** Unexpired claims on the open rows of a run: sessions that may still be fetching its objects. */
export async function countLiveClaims(orm: Orm, runId: number, at: Date): Promise<number> {
  return orm.em.fork().count(SyncObject, { runId, status: { $in: [...OPEN] }, claimOwner: { $ne: null }, claimExpiresAt: { $gt: at } });
}
