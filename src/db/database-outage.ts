import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_DATABASE_OUTAGE_WAIT_MS } from '../config/env.js';

/** What a client is told when its request needs the database and the database cannot be reached. */
export const DATABASE_UNAVAILABLE = 'Database unavailable, try again later';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** PostgreSQL: shutting down, restarting, or starting up (class 08 is any connection exception). */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03']);
/**
 * PostgreSQL: no connection slot free (max_connections, a role's or database's CONNECTION LIMIT); one frees
 * as other clients leave. The rest of class 53 (disk full, out of memory, a configured limit) is about the statement.
 */
const NO_SLOT_CODE = '53300';
const LOST_CONNECTION = /connection terminated|connection ended unexpectedly|terminating connection|not queryable|timeout acquiring a connection/i;

/**
 * True for an error that says the database cannot be reached right now (server down, restarting,
 * connection cut, no connection slot free), not that the statement is wrong: the same statement may succeed later.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  return someCause(error, (e, code) => (code !== undefined && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code === NO_SLOT_CODE || code.startsWith('08'))) || LOST_CONNECTION.test(e.message));
}

/**
 * SQLite: another connection (the service's other thread, `npm run sync`, a `sqlite3` shell) held the
 * write lock for longer than the busy timeout (better-sqlite3's SQLITE_BUSY, SQLITE_LOCKED and their
 * extended codes). Nothing of the statement was written, and the same write goes through once the lock is free.
 */
export function isDatabaseLocked(error: unknown): boolean {
  return someCause(error, (_e, code) => code !== undefined && /^SQLITE_(BUSY|LOCKED)($|_)/.test(code));
}

/** A write that failed this way goes through later, unchanged: unreachable, or locked by another process's write. */
export function isWorthWaitingFor(error: unknown): boolean {
  return isDatabaseUnreachable(error) || isDatabaseLocked(error);
}

/**
 * PostgreSQL: the server answered but refused DB_URL's login (class 28: unknown role, wrong password,
 * no pg_hba.conf entry), its database (3D000), or a right its user needs (42501: among others, to
 * create the database it names when that does not exist). Unlike an outage, trying again cannot help.
 */
export function isDatabaseLoginRefused(error: unknown): boolean {
  return someCause(error, (_e, code) => code !== undefined && (code.startsWith('28') || code === '3D000' || code === '42501'));
}

/** Whether `error` or one of its causes (the driver's error under the ORM's) passes `test`, given its string `code`. */
function someCause(error: unknown, test: (e: Error, code: string | undefined) => boolean): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (test(e, typeof code === 'string' ? code : undefined)) return true;
  }
  return false;
}

/** PostgreSQL: deadlock detected, serialization failure. The server rolled the transaction back; it may simply run again. */
const CONFLICT_CODES = new Set(['40P01', '40001']);
/** Attempts of a write the server keeps choosing as a deadlock victim, before its error is let through. */
export const CONFLICT_ATTEMPTS = 5;

/** True for a write the server rolled back as a deadlock victim or a serialization failure (not a wrong statement). */
export function isRetriableConflict(error: unknown): boolean {
  return someCause(error, (_e, code) => code !== undefined && CONFLICT_CODES.has(code));
}

/** A short random pause before a conflicting write goes again, longer with each attempt, so the two sides do not meet again. */
export function conflictPause(attempt: number): Promise<void> {
  return delay(20 + Math.random() * 50 * attempt);
}

export interface OutageOptions {
  /** Give up (and throw the last error) after this long unreachable; the service passes DB_OUTAGE_WAIT. */
  maxWaitMs?: number;
  /** Told once per outage, when the first attempt fails. */
  onWait?: (error: unknown) => void;
  /** Told when a write that waited went through. */
  onRecovered?: () => void;
  /** Told when `maxWaitMs` passed with the database still unreachable, just before the last error is thrown. */
  onGiveUp?: (error: unknown) => void;
  /**
   * The process is stopping: once this aborts, a write that fails is not waited for (its error is
   * thrown), so a stop is not held for the length of an outage. What it would have written is
   * whatever the next start or another instance resumes from.
   */
  stop?: AbortSignal;
}

/**
 * Runs a database write, and again (backing off up to 2 s) while the database is unreachable, or on
 * SQLite locked by another process's write longer than the busy timeout, so a restart of the server
 * or a long write elsewhere pauses the caller instead of failing it. On PostgreSQL, two writes of one run
 * can lock the same rows in opposite orders (a listing page marking its keys in key order while a
 * batch of finished objects is updated in id order, which differ when the listing is not in key
 * order): the server rolls one back as the deadlock victim, and that one goes again, up to
 * CONFLICT_ATTEMPTS times. Only for idempotent writes.
 */
export async function whileDatabaseDown<T>(write: () => Promise<T>, { maxWaitMs = DEFAULT_DATABASE_OUTAGE_WAIT_MS, onWait, onRecovered, onGiveUp, stop }: OutageOptions = {}): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  let pause = 100;
  let conflicts = 0;
  let waited = false;
  for (;;) {
    try {
      const result = await write();
      if (waited) onRecovered?.();
      return result;
    } catch (error) {
      if (isRetriableConflict(error) && ++conflicts < CONFLICT_ATTEMPTS) {
        await conflictPause(conflicts);
        continue;
      }
      if (!isWorthWaitingFor(error) || stop?.aborted) throw error;
      if (Date.now() >= deadline) {
        onGiveUp?.(error);
        throw error;
      }
      if (!waited) onWait?.(error);
      waited = true;
      // A stop ends the pause: the write is tried once more, and its error then goes through.
      await delay(pause, undefined, { signal: stop }).catch(() => undefined);
      pause = Math.min(2_000, pause * 2);
    }
  }
}

/** How long a request whose first write is committed waits for the database for the writes that complete it. */
export const AFTER_COMMIT_WAIT_MS = 1_000;

/**
 * Runs a write that completes a request whose first write is already committed: the request can no
 * longer answer "try again later" (the retry would find that write done: a second job, a 409), nor
 * be held for a whole outage. Waits for the database up to `maxWaitMs`; false when it still does not
 * answer (the caller leaves the rest to the scheduler). Other errors are thrown.
 */
export async function wroteAfterCommit(write: () => Promise<unknown>, maxWaitMs = AFTER_COMMIT_WAIT_MS): Promise<boolean> {
  try {
    await whileDatabaseDown(write, { maxWaitMs });
    return true;
  } catch (error) {
    if (!isWorthWaitingFor(error)) throw error;
    return false;
  }
}

/** The same methods, each retried while the database is unreachable (see whileDatabaseDown). */
export function retriedWhileDatabaseDown<T extends object>(methods: T, options: OutageOptions = {}): T {
  const wrapped = { ...methods } as Record<string, unknown>;
  for (const [name, method] of Object.entries(methods)) {
    // Generators (a paged read) stay as they are: their pages are awaited one by one by the caller.
    if (typeof method !== 'function' || method.constructor.name === 'AsyncGeneratorFunction') continue;
    wrapped[name] = (...args: unknown[]) => whileDatabaseDown(() => (method as (...a: unknown[]) => Promise<unknown>)(...args), options);
  }
  return wrapped as T;
}
