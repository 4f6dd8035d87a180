import { setTimeout as delay } from 'node:timers/promises';

/** How long a write waits for the database to come back before its error is let through. */
export const DATABASE_OUTAGE_WAIT_MS = 10 * 60_000;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** PostgreSQL: shutting down, restarting, or starting up (class 08 is any connection exception). */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03']);
const LOST_CONNECTION = /connection terminated|connection ended unexpectedly|terminating connection|not queryable|timeout acquiring a connection/i;

/**
 * True for an error that says the database cannot be reached right now (server down, restarting,
 * connection cut), not that the statement is wrong: the same statement may succeed later.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
    if (LOST_CONNECTION.test(e.message)) return true;
  }
  return false;
}

export interface OutageOptions {
  /** Give up (and throw the last error) after this long unreachable. */
  maxWaitMs?: number;
  /** Told once per outage, when the first attempt fails. */
  onWait?: (error: unknown) => void;
}

/**
 * Runs a database write, and again (backing off up to 2 s) while the database is unreachable, so a
 * restart of the server pauses the caller instead of failing it. Only for idempotent writes.
 */
export async function whileDatabaseDown<T>(write: () => Promise<T>, { maxWaitMs = DATABASE_OUTAGE_WAIT_MS, onWait }: OutageOptions = {}): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  let pause = 100;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnreachable(error) || Date.now() >= deadline) throw error;
      if (attempt === 0) onWait?.(error);
      await delay(pause);
      pause = Math.min(2_000, pause * 2);
    }
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
