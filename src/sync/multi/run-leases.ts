import { createFailureLog } from '../../config/failure-log.js';
import type { Logger } from '../../config/logger.js';
import { databaseNow } from '../../db/database-clock.js';
import { SyncRun } from '../../db/entities/sync-run.entity.js';
import type { Orm } from '../../db/orm.js';
import { createHeartbeat } from './heartbeat.js';

/**
 * A run row this instance may still write: not leased (a run of the CLI or of a test) or leased to
 * it. Once another instance has taken the run over, this one's late writes change nothing.
 */
export function leasedTo(instanceId: string) {
  return { $or: [{ leaseOwner: null }, { leaseOwner: instanceId }] };
}

/**
 * The lease owner of `npm run sync`: never the service's INSTANCE_ID (both read the same .env, and two
 * live processes must never share one), stable across CLI restarts, and told apart at the service's start.
 */
export const cliLeaseOwner = (instanceId: string): string => `${instanceId}:cli`;
export const isCliLease = (leaseOwner: string | null): boolean => leaseOwner?.endsWith(':cli') ?? false;

/** `leasedTo` as an SQL condition on `sync_runs`, for raw statements; its one binding is the instance id. */
export const LEASED_TO_SQL = '(lease_owner is null or lease_owner = ?)';

export interface RunLeaseDeps {
  orm: Orm;
  instanceId: string;
  ttlMs: number;
  logger: Logger;
  /** Whether the runs this holder starts or takes over let other instances help (default); false for `npm run sync`. */
  sharesWork?: boolean;
  now?: () => Date;
  /** Called when another instance took a held run over (this one stalled past its lease): stop working on it. */
  onLost?: (runId: number) => void;
  /** Called at each heartbeat for a held run whose cancel was asked through another instance: stop it. */
  onCancelRequested?: (runId: number) => void;
}

/**
 * The leases of the runs this instance works on. A RUNNING run belongs to `lease_owner` while
 * `lease_expires_at` is in the future; a heartbeat every TTL/3 moves it on, so only an instance that
 * stopped (killed, frozen, cut off from the database) loses its runs, and another takes them over.
 */
export function createRunLeases({
  orm,
  instanceId,
  ttlMs,
  logger,
  sharesWork = true,
  now = () => databaseNow(orm),
  onLost = () => {},
  onCancelRequested = () => {},
}: RunLeaseDeps) {
  const held = new Set<number>();
  const expiry = () => new Date(now().getTime() + ttlMs);

  const beatFailures = createFailureLog(logger, { failed: 'run lease heartbeat failed', recovered: 'run lease heartbeats succeed again' });

  async function heartbeat(): Promise<void> {
    if (held.size === 0) return;
    const ids = [...held];
    const em = orm.em.fork();
    const renewed = await em.nativeUpdate(
      SyncRun,
      { id: { $in: ids }, leaseOwner: instanceId, status: 'RUNNING' },
      { leaseExpiresAt: expiry() },
    );
    beatFailures.succeeded();
    const cancelled = await em.find(SyncRun, { id: { $in: ids }, leaseOwner: instanceId, cancelRequestedAt: { $ne: null } }, { fields: ['id'] });
    for (const { id } of cancelled) onCancelRequested(id);
    if (renewed === ids.length) return;
    const lost = await em.find(SyncRun, { id: { $in: ids }, status: 'RUNNING', leaseOwner: { $ne: instanceId } }, { fields: ['id'] });
    for (const { id } of lost) {
      if (!held.delete(id)) continue;
      logger.warn({ runId: id }, 'run lease lost to another instance; stopping work on it');
      onLost(id);
    }
  }

  const beats = createHeartbeat(heartbeat, ttlMs, (err) => beatFailures.failed(err));

  return {
    instanceId,
    /** Fields of a new run row owned by this instance. */
    newLease: (): Pick<SyncRun, 'instanceId' | 'leaseOwner' | 'leaseExpiresAt' | 'sharesWork'> => ({
      instanceId,
      leaseOwner: instanceId,
      leaseExpiresAt: expiry(),
      sharesWork,
    }),
    hold(runId: number): void {
      held.add(runId);
    },
    release(runId: number): void {
      held.delete(runId);
    },

    /**
     * Claims one RUNNING run whose lease has expired (or, with `any`, whatever its lease: the
     * embedded single-process database at start-up). True when this instance now owns it.
     */
    async claim(runId: number, options: { any?: boolean } = {}): Promise<boolean> {
      const at = now();
      const free = options.any
        ? {}
        : { $or: [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lte: at } }, { leaseOwner: instanceId }] };
      const claimed = await orm.em
        .fork()
        .nativeUpdate(
          SyncRun,
          { id: runId, status: 'RUNNING', ...free },
          { leaseOwner: instanceId, instanceId, leaseExpiresAt: expiry(), sharesWork },
        );
      if (claimed === 1) held.add(runId);
      return claimed === 1;
    },

    /** RUNNING runs nobody holds: leases expired, or (`startUp`) left without one or by this very instance id. */
    async findUnowned(options: { startUp?: boolean } = {}): Promise<SyncRun[]> {
      const at = now();
      const unowned = options.startUp
        ? [{ leaseExpiresAt: null }, { leaseExpiresAt: { $lte: at } }, { leaseOwner: instanceId }]
        : [{ leaseExpiresAt: { $lte: at } }];
      return orm.em.fork().find(SyncRun, { status: 'RUNNING', $or: unowned }, { orderBy: { id: 'desc' } });
    },

    /** Graceful stop: the runs go back at once (lease expired now), so another instance resumes them without waiting. */
    async handBack(runIds: number[]): Promise<void> {
      if (runIds.length === 0) return;
      for (const id of runIds) held.delete(id);
      await orm.em
        .fork()
        .nativeUpdate(SyncRun, { id: { $in: runIds }, leaseOwner: instanceId }, { leaseExpiresAt: now() });
    },

    start: beats.start,
    stop: beats.stop,
  };
}

export type RunLeases = ReturnType<typeof createRunLeases>;
