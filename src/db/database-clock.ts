// The database's clock, as this process reads it: PostgreSQL's `clock_timestamp()` less this host's
// clock, measured when the ORM opens and again at most every REFRESH_MS. Run leases, object claims,
// schedules and webhook retries are compared across instances, so they are timed by this one clock:
// an instance whose host clock is off by more than the lease no longer takes a live instance's run.
// SQLite serves one host, whose clock is the database's.
import type { Orm } from './orm.js';

interface DatabaseClock {
  offsetMs: number;
  measuredAt: number;
  measuring: boolean;
}

/** How old a measured offset may get (a host clock stepped by NTP is followed within this). */
const REFRESH_MS = 15_000;
/** Round trips per measurement; the quickest one's midpoint is the most accurate. */
const SAMPLES = 3;

const clocks = new WeakMap<Orm, DatabaseClock>();

/** Database time minus this host's time, in ms, within half the quickest of SAMPLES round trips. */
async function measureOffset(orm: Orm): Promise<number> {
  let best = { roundTripMs: Infinity, offsetMs: 0 };
  for (let sample = 0; sample < SAMPLES; sample++) {
    const sent = Date.now();
    const [row] = await orm.em
      .getConnection()
      .execute<Array<{ ms: number | string }>>('select extract(epoch from clock_timestamp())::float8 * 1000 as ms');
    const received = Date.now();
    if (received - sent < best.roundTripMs) best = { roundTripMs: received - sent, offsetMs: Number(row?.ms) - (sent + received) / 2 };
  }
  return Math.round(best.offsetMs);
}

/** Measures the offset of a PostgreSQL database's clock (called by initOrm); other databases keep this host's clock. */
export async function startDatabaseClock(orm: Orm): Promise<void> {
  clocks.set(orm, { offsetMs: await measureOffset(orm), measuredAt: performance.now(), measuring: false });
}

/**
 * The database's time now, read without a query: this host's clock plus the last measured offset.
 * A stale offset is measured again in the background; until that answers (or if it fails: the
 * database is down), the last one stands.
 */
export function databaseNow(orm: Orm): Date {
  const clock = clocks.get(orm);
  if (!clock) return new Date();
  if (!clock.measuring && performance.now() - clock.measuredAt > REFRESH_MS) {
    clock.measuring = true;
    measureOffset(orm)
      .then((offsetMs) => (clock.offsetMs = offsetMs))
      .catch(() => {})
      .finally(() => {
        clock.measuredAt = performance.now();
        clock.measuring = false;
      });
  }
  return new Date(Date.now() + clock.offsetMs);
}

/** The last measured offset of the database's clock from this host's, in ms (0 on SQLite). */
export function databaseClockOffsetMs(orm: Orm): number {
  return clocks.get(orm)?.offsetMs ?? 0;
}
